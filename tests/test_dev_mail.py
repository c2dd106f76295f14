"""Development e-mail (config/mail.py): printed as the recipient reads it, Korean decoded."""

import io

from django.core.mail import EmailMessage

from config.mail import EmailBackend


def test_a_korean_message_is_printed_readable():
    stream = io.StringIO()
    message = EmailMessage(
        "[2023년 스마트시티 조성사업] 평가결과 통보서",
        "울산광역시 담당자님께\n\n- 평가결과 통보서: http://127.0.0.1:8000/letters/abc/\n",
        "webmaster@localhost",
        ["2023-h-01@demo.example.go.kr"],
    )
    assert EmailBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert "Subject: [2023년 스마트시티 조성사업] 평가결과 통보서\n" in printed
    assert "To: 2023-h-01@demo.example.go.kr\n" in printed
    assert "울산광역시 담당자님께\n\n- 평가결과 통보서: http://127.0.0.1:8000/letters/abc/\n" in printed
    assert "base64" not in printed
