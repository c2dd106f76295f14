"""Development e-mail: the console backend, but each message as its recipient reads it.

Django's console backend prints the MIME source, where Korean subjects and texts are encoded
(base64): nobody can read a notice or a result letter's link in it. This backend prints the
headers decoded and the text as sent. Production sends through SMTP (``config.settings``).
"""

from django.core.mail.backends import console


class EmailBackend(console.EmailBackend):
    def write_message(self, message):
        parsed = message.message()
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Date: {parsed['Date']}",
            f"Subject: {message.subject}",
            "",
            message.body.rstrip("\n"),
        ]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")
