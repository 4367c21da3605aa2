"""Log lines over a real UDP socket in the formats the log collector parses."""

import logging
import socket

from apis.apis_log.parse import parse_line
from apis.ccc.udplog import UdpLogHandler


def receive_one(program: str, logger_name: str, level: int, message: str, **extra: str) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        handler = UdpLogHandler("127.0.0.1", receiver.getsockname()[1], program)
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            logger.log(level, message, extra=extra)
            return receiver.recv(65535).decode()
        finally:
            logger.removeHandler(handler)
            handler.close()


def test_a_ccc_line_has_the_tools_format():
    text = receive_one(
        "apis-ccc",
        "jp.co.sony.csl.dcoes.apis.tools.ccc.UnitDataReporting",
        logging.INFO,
        "reporting unit data ...",
    )
    line = parse_line(text)
    assert (line.program, line.unit, line.level) == ("apis-ccc", None, "INFO")
    assert line.logger == "jp.co.sony.csl.dcoes.apis.tools.ccc.UnitDataReporting"
    assert line.message == "reporting unit data ..." and line.datetime.utcoffset() is not None


def test_a_unit_line_has_the_main_format_and_errors_are_severe():
    text = receive_one(
        "apis-main", "jp.co.sony.csl.dcoes.apis.main.x", logging.ERROR, "boom", apis_unit="E002"
    )
    assert text.startswith("[[[apis-main:E002]]] [MainThread] ")
    line = parse_line(text)
    assert (line.program, line.unit, line.level, line.message) == ("apis-main", "E002", "SEVERE", "boom")
