"""Proposal documents (사업계획서 and attachments): what a file may be (``filetypes``), storing,
replacing and removing one (``service``), a zip of many matched by 접수번호 (``bundles``), the
reading copy stamped for its reader (``watermark``) and simple Korean PDFs (``pdf``, the demo's)."""
