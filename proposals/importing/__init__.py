"""One spreadsheet import engine (SPEC §5) behind the command line and the web upload.

- ``cells``     parse one cell's value or raise ``CellError``
- ``workbook``  open an .xlsx safely and stream its first sheet as header + rows
- ``engine``    columns, rows, the report and the all-or-nothing run
- ``applicants``the applicant (proposal) spreadsheet
"""
