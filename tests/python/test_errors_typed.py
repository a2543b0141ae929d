# SPDX-License-Identifier: Apache-2.0
"""The exception classes as Python code expects them: generated from the
one error table (and checked against the loaded library's table, so a
stale module fails here), one base per category under ferry.Error, the
builtin bases code already catches, and every field kept through pickle."""

import pickle

import pytest

import ferry

CATEGORY_BASES = {
    "local": "LocalError", "network": "NetworkError", "tls": "TlsError",
    "auth": "AuthError", "policy": "PolicyError", "quota": "QuotaError",
    "throttle": "ThrottleError", "server": "ServerError",
    "protocol": "ProtocolError", "integrity": "IntegrityError",
    "recipient": "RecipientError",
}


def test_every_code_of_the_library_has_its_class_under_its_category():
    assert set(ferry.ERROR_CLASSES) == set(ferry.CODES)
    for code, info in ferry.CODES.items():
        cls = ferry.ERROR_CLASSES[code]
        assert cls.code == code
        assert issubclass(cls, ferry.Error)
        assert getattr(ferry, cls.__name__) is cls
        if info["category"] in CATEGORY_BASES:
            base = getattr(ferry, CATEGORY_BASES[info["category"]])
            assert issubclass(cls, base), (code, base)
        assert cls.__doc__ and info["meaning"] in cls.__doc__


@pytest.mark.parametrize("cls, builtin", [
    (ferry.FileNotFound, FileNotFoundError),
    (ferry.FileUnreadable, OSError),
    (ferry.FilePermissionDenied, PermissionError),
    (ferry.ConnectionRefused, ConnectionRefusedError),
    (ferry.ConnectionReset, ConnectionResetError),
    (ferry.Timeout, TimeoutError),
    (ferry.DnsFailure, ConnectionError),
    (ferry.InvalidArgument, ValueError),
    (ferry.InternalServerError, ferry.ServerError),
    (ferry.Cancelled, ferry.Error),
])
def test_builtin_and_category_bases(cls, builtin):
    assert issubclass(cls, builtin)
    with pytest.raises(builtin):
        raise cls("x", code=cls.code)


def test_the_old_names_stay():
    assert ferry.FerryError is ferry.Error
    assert issubclass(ferry.FileTooLarge, ferry.FerryError)


@pytest.mark.parametrize("code", sorted(ferry.CODES))
def test_every_error_pickles_with_every_field(code):
    e = ferry.ERROR_CLASSES[code](
        "why", code=code, http_status=503, retry_after=1.5, limit=7,
        server_code="E1", server_message="busy", request_id="r-1",
        url="https://h/x", clock_skew=2.0)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e)
    assert back.to_dict() == e.to_dict()
    assert str(back) == str(e)


def test_a_permission_problem_is_a_permission_error():
    e = ferry.errors._from_doc({
        "code": "file_unreadable", "category": "local", "origin": "client",
        "retryable": False, "action": "check_file", "http_status": 0,
        "server_code": "", "server_message": "", "request_id": "",
        "limit": None, "url": "",
        "message": "cannot read file: /x: Permission denied"})
    assert isinstance(e, PermissionError) and isinstance(e, ferry.FileUnreadable)
