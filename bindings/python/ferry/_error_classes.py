# SPDX-License-Identifier: Apache-2.0
# Generated from sdk/include/ferry/ferry_error_table.h by tools/errors-doc --python.
# Do not edit by hand: a test fails when it differs from the table.
"""ferry's exception classes: one base per category under ferry.Error, one
class per code under its category, and where code already catches a builtin
exception for it, that builtin too."""

from typing import Dict, Type

from ferry._error_base import Error


class LocalError(Error):
    """Something on this device: arguments, the file, state."""

    category = "local"


class NetworkError(Error, ConnectionError):
    """The path between this device and the server."""

    category = "network"


class TlsError(Error):
    """The secure connection could not be trusted or set up."""

    category = "tls"


class AuthError(Error):
    """Who you are, or whether you may do this."""

    category = "auth"


class PolicyError(Error):
    """The service's rules about what may be uploaded."""

    category = "policy"


class QuotaError(Error):
    """Storage or usage allowance is used up."""

    category = "quota"


class ThrottleError(Error):
    """Requests came too fast."""

    category = "throttle"


class ServerError(Error):
    """The server failed or is not available."""

    category = "server"


class ProtocolError(Error):
    """The conversation with the server went wrong."""

    category = "protocol"


class IntegrityError(Error):
    """Bytes did not arrive as they were sent."""

    category = "integrity"


class RecipientError(Error):
    """The receiving account refused the file."""

    category = "recipient"


class InvalidArgument(LocalError, ValueError):
    """An argument or option given to ferry is not valid.

    What ferry already does: Nothing: it refuses before contacting the server.
    """

    code = "invalid_argument"


class FileNotFound(LocalError, FileNotFoundError):
    """The file to upload does not exist.

    What ferry already does: Nothing: it refuses before contacting the server.
    """

    code = "file_not_found"


class FileUnreadable(LocalError, OSError):
    """The file exists but cannot be read (permissions, a directory, an I/O error).

    What ferry already does: Nothing: the resume state is kept so a later run can continue.
    """

    code = "file_unreadable"


class FileChanged(LocalError):
    """The file changed since its upload began (size, time, inode or content).

    What ferry already does: Stops before sending a byte of the new content; it never mixes old and new bytes. It restarts cleanly only when the caller opts in.
    """

    code = "file_changed"


class StateUnwritable(LocalError):
    """The resume state directory cannot be written.

    What ferry already does: Nothing: without resume state an upload could not survive a crash.
    """

    code = "state_unwritable"


class Cancelled(Error):
    """The caller cancelled the upload.

    What ferry already does: Keeps the resume state (or deletes the upload when asked to discard).
    """

    code = "cancelled"


class DnsFailure(NetworkError):
    """The server's name could not be resolved.

    What ferry already does: Retries with backoff within the retry budget.
    """

    code = "dns_failure"


class ConnectionRefused(NetworkError, ConnectionRefusedError):
    """Nothing accepted the connection at the server's address and port.

    What ferry already does: Retries with backoff within the retry budget.
    """

    code = "connection_refused"


class ConnectionReset(NetworkError, ConnectionResetError):
    """The connection broke during a request.

    What ferry already does: Asks the server for its offset and resumes from there.
    """

    code = "connection_reset"


class NetworkUnreachable(NetworkError):
    """No route to the server (offline, firewall, VPN).

    What ferry already does: Retries with backoff within the retry budget.
    """

    code = "network_unreachable"


class Timeout(NetworkError, TimeoutError):
    """The server stopped answering: a connect timeout or a stalled transfer.

    What ferry already does: Asks the server for its offset and resumes from there.
    """

    code = "timeout"


class ProxyError(NetworkError):
    """The proxy could not be reached or refused the request.

    What ferry already does: Nothing: proxy settings rarely fix themselves.
    """

    code = "proxy_error"


class TlsHandshakeFailed(TlsError):
    """The TLS handshake failed (no common version or cipher, or the connection was cut during it).

    What ferry already does: Nothing: it never falls back to an insecure connection.
    """

    code = "tls_handshake_failed"


class CertificateUntrusted(TlsError):
    """The server's certificate is not signed by a trusted authority.

    What ferry already does: Nothing: TLS verification stays on unless explicitly turned off.
    """

    code = "certificate_untrusted"


class CertificateExpired(TlsError):
    """The server's certificate has expired (or this device's clock is wrong).

    What ferry already does: Nothing: TLS verification stays on unless explicitly turned off.
    """

    code = "certificate_expired"


class CertificateNameMismatch(TlsError):
    """The server's certificate is for another name than the one dialled.

    What ferry already does: Nothing: TLS verification stays on unless explicitly turned off.
    """

    code = "certificate_name_mismatch"


class Unauthenticated(AuthError):
    """The server did not accept the credentials (or none were sent).

    What ferry already does: Calls the app's credential refresh hook when one is set, then retries.
    """

    code = "unauthenticated"


class CredentialsExpired(AuthError):
    """The token or session has expired.

    What ferry already does: Calls the app's credential refresh hook when one is set, then continues where it was.
    """

    code = "credentials_expired"


class PermissionDenied(AuthError):
    """The credentials are valid but not allowed to do this.

    What ferry already does: Nothing: retrying would be refused again.
    """

    code = "permission_denied"


class ClockSkew(AuthError):
    """This device's clock differs too much from the server's, so signed requests or tokens are refused.

    What ferry already does: Reports the measured offset.
    """

    code = "clock_skew"


class FileTooLarge(PolicyError):
    """The file is larger than the server accepts.

    What ferry already does: Refuses before sending a byte when the server announced its limit.
    """

    code = "file_too_large"


class FileTypeBlocked(PolicyError):
    """The service does not accept files of this type.

    What ferry already does: Nothing: retrying would be refused again.
    """

    code = "file_type_blocked"


class ContentRejected(PolicyError):
    """The server refused the content (a scan or validation failed).

    What ferry already does: Nothing: retrying would be refused again.
    """

    code = "content_rejected"


class TooManyFiles(PolicyError):
    """The batch holds more files than the service accepts at once.

    What ferry already does: Refuses before sending when the limit is known.
    """

    code = "too_many_files"


class QuotaExceeded(QuotaError):
    """The account's storage or usage quota is used up.

    What ferry already does: Nothing: retrying would be refused until space is freed.
    """

    code = "quota_exceeded"


class RateLimited(ThrottleError):
    """Too many requests; the server asks the client to slow down.

    What ferry already does: Waits for Retry-After (or backs off) and retries.
    """

    code = "rate_limited"


class ServerUnavailable(ServerError):
    """The server (or a gateway before it) is unavailable.

    What ferry already does: Backs off, honours Retry-After, resyncs the offset and retries.
    """

    code = "server_unavailable"


class ServerMaintenance(ServerError):
    """The server is down for maintenance.

    What ferry already does: Waits for Retry-After when it fits the retry budget.
    """

    code = "server_maintenance"


class InternalServerError(ServerError):
    """The server failed while handling the request.

    What ferry already does: Backs off, resyncs the offset with HEAD and retries.
    """

    code = "server_error"


class UploadExpired(ProtocolError):
    """The server no longer has the upload (expired, deleted or never known).

    What ferry already does: On resume it starts a new upload and says so in an event.
    """

    code = "upload_expired"


class OffsetMismatch(ProtocolError):
    """The server holds a different number of bytes than expected.

    What ferry already does: Asks the server for its offset with HEAD and continues from there.
    """

    code = "offset_mismatch"


class ProtocolUnsupported(ProtocolError):
    """The server does not speak a protocol version or extension ferry needs.

    What ferry already does: Nothing.
    """

    code = "protocol_unsupported"


class UnexpectedResponse(ProtocolError):
    """The server answered in a way the protocol does not allow (bad headers, oversized or garbage response).

    What ferry already does: Stops rather than guess; nothing is taken on trust.
    """

    code = "unexpected_response"


class RedirectRefused(ProtocolError):
    """The server sent the upload to another origin (or redirected), which ferry does not follow with your credentials.

    What ferry already does: Refuses to send credentials to another origin.
    """

    code = "redirect_refused"


class ChecksumMismatch(IntegrityError):
    """The server computed a different checksum for a chunk than ferry sent.

    What ferry already does: Re-reads the chunk from the file and sends it again.
    """

    code = "checksum_mismatch"


class IntegrityFailed(IntegrityError):
    """After the upload the stored object does not match the source.

    What ferry already does: Reports it; it never reports such an upload as a success.
    """

    code = "integrity_failed"


class RecipientRejected(RecipientError):
    """The recipient's account refused the file.

    What ferry already does: Nothing: retrying would be refused again.
    """

    code = "recipient_rejected"


class UploadLocked(ProtocolError):
    """Another request is writing to the same upload (HTTP 423).

    What ferry already does: Waits, resyncs the offset and retries.
    """

    code = "upload_locked"


class InternalError(LocalError):
    """ferry itself failed (out of memory, or a bug).

    What ferry already does: Keeps the resume state so a later run can continue.
    """

    code = "internal_error"


class SourceNotResumable(LocalError):
    """The source is a stream that cannot be read again from where the server's copy ends (after a restart, or bytes already released).

    What ferry already does: Stops rather than upload a wrong object; upload the data again as a new upload.
    """

    code = "source_not_resumable"


class StateUntrusted(LocalError):
    """The resume state directory could be steered by someone else: a symbolic link, another user's, or writable by group or others.

    What ferry already does: Stops before sending a byte; make the directory yours, mode 0700.
    """

    code = "state_untrusted"


class UploadInProgress(LocalError):
    """Another process is uploading the same source to the same endpoint.

    What ferry already does: Stops before sending a byte, so the two never mix their bytes; try again once the other upload ended.
    """

    code = "upload_in_progress"


CATEGORY_CLASSES: Dict[str, Type[Error]] = {
    "local": LocalError,
    "network": NetworkError,
    "tls": TlsError,
    "auth": AuthError,
    "policy": PolicyError,
    "quota": QuotaError,
    "throttle": ThrottleError,
    "server": ServerError,
    "protocol": ProtocolError,
    "integrity": IntegrityError,
    "recipient": RecipientError,
}


ERROR_CLASSES: Dict[str, Type[Error]] = {
    "invalid_argument": InvalidArgument,
    "file_not_found": FileNotFound,
    "file_unreadable": FileUnreadable,
    "file_changed": FileChanged,
    "state_unwritable": StateUnwritable,
    "cancelled": Cancelled,
    "dns_failure": DnsFailure,
    "connection_refused": ConnectionRefused,
    "connection_reset": ConnectionReset,
    "network_unreachable": NetworkUnreachable,
    "timeout": Timeout,
    "proxy_error": ProxyError,
    "tls_handshake_failed": TlsHandshakeFailed,
    "certificate_untrusted": CertificateUntrusted,
    "certificate_expired": CertificateExpired,
    "certificate_name_mismatch": CertificateNameMismatch,
    "unauthenticated": Unauthenticated,
    "credentials_expired": CredentialsExpired,
    "permission_denied": PermissionDenied,
    "clock_skew": ClockSkew,
    "file_too_large": FileTooLarge,
    "file_type_blocked": FileTypeBlocked,
    "content_rejected": ContentRejected,
    "too_many_files": TooManyFiles,
    "quota_exceeded": QuotaExceeded,
    "rate_limited": RateLimited,
    "server_unavailable": ServerUnavailable,
    "server_maintenance": ServerMaintenance,
    "server_error": InternalServerError,
    "upload_expired": UploadExpired,
    "offset_mismatch": OffsetMismatch,
    "protocol_unsupported": ProtocolUnsupported,
    "unexpected_response": UnexpectedResponse,
    "redirect_refused": RedirectRefused,
    "checksum_mismatch": ChecksumMismatch,
    "integrity_failed": IntegrityFailed,
    "recipient_rejected": RecipientRejected,
    "upload_locked": UploadLocked,
    "internal_error": InternalError,
    "source_not_resumable": SourceNotResumable,
    "state_untrusted": StateUntrusted,
    "upload_in_progress": UploadInProgress,
}


__all__ = [
    "CATEGORY_CLASSES",
    "ERROR_CLASSES",
    "LocalError",
    "NetworkError",
    "TlsError",
    "AuthError",
    "PolicyError",
    "QuotaError",
    "ThrottleError",
    "ServerError",
    "ProtocolError",
    "IntegrityError",
    "RecipientError",
    "InvalidArgument",
    "FileNotFound",
    "FileUnreadable",
    "FileChanged",
    "StateUnwritable",
    "Cancelled",
    "DnsFailure",
    "ConnectionRefused",
    "ConnectionReset",
    "NetworkUnreachable",
    "Timeout",
    "ProxyError",
    "TlsHandshakeFailed",
    "CertificateUntrusted",
    "CertificateExpired",
    "CertificateNameMismatch",
    "Unauthenticated",
    "CredentialsExpired",
    "PermissionDenied",
    "ClockSkew",
    "FileTooLarge",
    "FileTypeBlocked",
    "ContentRejected",
    "TooManyFiles",
    "QuotaExceeded",
    "RateLimited",
    "ServerUnavailable",
    "ServerMaintenance",
    "InternalServerError",
    "UploadExpired",
    "OffsetMismatch",
    "ProtocolUnsupported",
    "UnexpectedResponse",
    "RedirectRefused",
    "ChecksumMismatch",
    "IntegrityFailed",
    "RecipientRejected",
    "UploadLocked",
    "InternalError",
    "SourceNotResumable",
    "StateUntrusted",
    "UploadInProgress",
]
