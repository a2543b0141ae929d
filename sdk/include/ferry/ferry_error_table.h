/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ferry error table: the single source of truth for every typed error.
 *
 * The C enum (ferry.h), the C++ enum (ferry.hpp), the names used in JSON and
 * Python, the Python exception classes and docs/errors.md are all generated
 * from these lists. Rules for editing:
 *   - APPEND ONLY. Never renumber, rename or reuse a value once released.
 *   - Each code names its default category, origin, retryability and action;
 *     a concrete error may override origin and action (e.g. a size limit
 *     found by preflight is still file_too_large, origin server).
 *
 * Plain C preprocessor only: this header is included by ferry.h.
 */
#ifndef FERRY_FERRY_ERROR_TABLE_H_
#define FERRY_FERRY_ERROR_TABLE_H_

/* X(value, UPPER_NAME, lower_name, description) */
#define FERRY_CATEGORY_TABLE(X)                                               \
  X(0, NONE, none, "No error.")                                               \
  X(1, LOCAL, local, "Something on this device: arguments, the file, state.") \
  X(2, NETWORK, network, "The path between this device and the server.")      \
  X(3, TLS, tls, "The secure connection could not be trusted or set up.")     \
  X(4, AUTH, auth, "Who you are, or whether you may do this.")                \
  X(5, POLICY, policy, "The service's rules about what may be uploaded.")     \
  X(6, QUOTA, quota, "Storage or usage allowance is used up.")                \
  X(7, THROTTLE, throttle, "Requests came too fast.")                         \
  X(8, SERVER, server, "The server failed or is not available.")              \
  X(9, PROTOCOL, protocol, "The conversation with the server went wrong.")    \
  X(10, INTEGRITY, integrity, "Bytes did not arrive as they were sent.")      \
  X(11, RECIPIENT, recipient, "The receiving account refused the file.")      \
  X(12, CANCELLED, cancelled, "The caller stopped the upload.")

/* X(value, UPPER_NAME, lower_name, description) */
#define FERRY_ORIGIN_TABLE(X)                                       \
  X(0, NONE, none, "Nobody: no error.")                             \
  X(1, CLIENT, client, "This device or the app refused or failed.") \
  X(2, NETWORK, network, "The network between device and server.")  \
  X(3, SERVER, server, "The server refused or failed.")             \
  X(4, RECIPIENT, recipient, "The receiving account or its owner refused.")

/* X(value, UPPER_NAME, lower_name, what the user should do) */
#define FERRY_ACTION_TABLE(X)                                               \
  X(0, NONE, none, "Nothing to do.")                                        \
  X(1, RETRY, retry, "Try again; the problem is likely to pass.")           \
  X(2, WAIT_AND_RETRY, wait_and_retry,                                      \
    "Wait (for retry_after when given), then try again.")                   \
  X(3, RESTART_UPLOAD, restart_upload,                                      \
    "Start the upload again from the beginning.")                           \
  X(4, SPLIT_FILE, split_file,                                              \
    "Split the file into parts below the limit, or choose a smaller file.") \
  X(5, COMPRESS_FILE, compress_file,                                        \
    "Compress the file so it fits under the limit.")                        \
  X(6, PACKAGE_FILE, package_file,                                          \
    "Put the file into an archive (e.g. .zip) if the service allows that.") \
  X(7, FREE_QUOTA, free_quota,                                              \
    "Delete stored files or raise your storage plan, then try again.")      \
  X(8, REDUCE_BATCH, reduce_batch, "Send fewer files at once.")             \
  X(9, REFRESH_CREDENTIALS, refresh_credentials,                            \
    "Obtain a fresh token or credentials and try again.")                   \
  X(10, SIGN_IN, sign_in, "Sign in again, or check the credentials given.") \
  X(11, SYNC_CLOCK, sync_clock,                                             \
    "Set this device's clock to the correct time (enable automatic time).") \
  X(12, CHECK_NETWORK, check_network,                                       \
    "Check the connection, DNS, firewall and the endpoint address.")        \
  X(13, CHECK_PROXY, check_proxy, "Check the proxy settings.")              \
  X(14, UPDATE_CA_BUNDLE, update_ca_bundle,                                 \
    "Install the right CA certificate (or pass a CA file), or fix the "     \
    "server's certificate.")                                                \
  X(15, CONTACT_ADMIN, contact_admin,                                       \
    "Contact the service's administrator or support.")                      \
  X(16, CONTACT_RECIPIENT, contact_recipient,                               \
    "Ask the recipient to accept files from you, or send it another way.")  \
  X(17, UPDATE_CLIENT, update_client,                                       \
    "Update the app or ferry; the server speaks a protocol this one does "  \
    "not.")                                                                 \
  X(18, FIX_REQUEST, fix_request,                                           \
    "Correct the arguments or configuration given to ferry.")               \
  X(19, CHECK_FILE, check_file,                                             \
    "Check that the file exists, is readable and is not being modified.")   \
  X(20, REPORT_BUG, report_bug, "Report this as a bug in ferry.")

/*
 * X(value, UPPER_NAME, lower_name, CATEGORY, ORIGIN, retryable, ACTION,
 *   meaning, what ferry does by itself)
 */
#define FERRY_ERROR_TABLE(X)                                                   \
  X(1, INVALID_ARGUMENT, invalid_argument, LOCAL, CLIENT, 0, FIX_REQUEST,      \
    "An argument or option given to ferry is not valid.",                      \
    "Nothing: it refuses before contacting the server.")                       \
  X(2, FILE_NOT_FOUND, file_not_found, LOCAL, CLIENT, 0, CHECK_FILE,           \
    "The file to upload does not exist.",                                      \
    "Nothing: it refuses before contacting the server.")                       \
  X(3, FILE_UNREADABLE, file_unreadable, LOCAL, CLIENT, 0, CHECK_FILE,         \
    "The file exists but cannot be read (permissions, a directory, an I/O "    \
    "error).",                                                                 \
    "Nothing: the resume state is kept so a later run can continue.")          \
  X(4, FILE_CHANGED, file_changed, LOCAL, CLIENT, 0, RESTART_UPLOAD,           \
    "The file changed since its upload began (size, time, inode or content).", \
    "Stops before sending a byte of the new content; it never mixes old and "  \
    "new bytes. It restarts cleanly only when the caller opts in.")            \
  X(5, STATE_UNWRITABLE, state_unwritable, LOCAL, CLIENT, 0, FIX_REQUEST,      \
    "The resume state directory cannot be written.",                           \
    "Nothing: without resume state an upload could not survive a crash.")      \
  X(6, CANCELLED, cancelled, CANCELLED, CLIENT, 0, NONE,                       \
    "The caller cancelled the upload.",                                        \
    "Keeps the resume state (or deletes the upload when asked to discard).")   \
  X(7, DNS_FAILURE, dns_failure, NETWORK, NETWORK, 1, CHECK_NETWORK,           \
    "The server's name could not be resolved.",                                \
    "Retries with backoff within the retry budget.")                           \
  X(8, CONNECTION_REFUSED, connection_refused, NETWORK, NETWORK, 1,            \
    CHECK_NETWORK,                                                             \
    "Nothing accepted the connection at the server's address and port.",       \
    "Retries with backoff within the retry budget.")                           \
  X(9, CONNECTION_RESET, connection_reset, NETWORK, NETWORK, 1, RETRY,         \
    "The connection broke during a request.",                                  \
    "Asks the server for its offset and resumes from there.")                  \
  X(10, NETWORK_UNREACHABLE, network_unreachable, NETWORK, NETWORK, 1,         \
    CHECK_NETWORK, "No route to the server (offline, firewall, VPN).",         \
    "Retries with backoff within the retry budget.")                           \
  X(11, TIMEOUT, timeout, NETWORK, NETWORK, 1, RETRY,                          \
    "The server stopped answering: a connect timeout or a stalled transfer.",  \
    "Asks the server for its offset and resumes from there.")                  \
  X(12, PROXY_ERROR, proxy_error, NETWORK, NETWORK, 0, CHECK_PROXY,            \
    "The proxy could not be reached or refused the request.",                  \
    "Nothing: proxy settings rarely fix themselves.")                          \
  X(13, TLS_HANDSHAKE_FAILED, tls_handshake_failed, TLS, NETWORK, 0,           \
    CONTACT_ADMIN,                                                             \
    "The TLS handshake failed (no common version or cipher, or the "           \
    "connection was cut during it).",                                          \
    "Nothing: it never falls back to an insecure connection.")                 \
  X(14, CERTIFICATE_UNTRUSTED, certificate_untrusted, TLS, SERVER, 0,          \
    UPDATE_CA_BUNDLE,                                                          \
    "The server's certificate is not signed by a trusted authority.",          \
    "Nothing: TLS verification stays on unless explicitly turned off.")        \
  X(15, CERTIFICATE_EXPIRED, certificate_expired, TLS, SERVER, 0,              \
    CONTACT_ADMIN,                                                             \
    "The server's certificate has expired (or this device's clock is "         \
    "wrong).",                                                                 \
    "Nothing: TLS verification stays on unless explicitly turned off.")        \
  X(16, CERTIFICATE_NAME_MISMATCH, certificate_name_mismatch, TLS, SERVER, 0,  \
    CONTACT_ADMIN,                                                             \
    "The server's certificate is for another name than the one dialled.",      \
    "Nothing: TLS verification stays on unless explicitly turned off.")        \
  X(17, UNAUTHENTICATED, unauthenticated, AUTH, SERVER, 0, SIGN_IN,            \
    "The server did not accept the credentials (or none were sent).",          \
    "Calls the app's credential refresh hook when one is set, then retries.")  \
  X(18, CREDENTIALS_EXPIRED, credentials_expired, AUTH, SERVER, 0,             \
    REFRESH_CREDENTIALS, "The token or session has expired.",                  \
    "Calls the app's credential refresh hook when one is set, then continues " \
    "where it was.")                                                           \
  X(19, PERMISSION_DENIED, permission_denied, AUTH, SERVER, 0, CONTACT_ADMIN,  \
    "The credentials are valid but not allowed to do this.",                   \
    "Nothing: retrying would be refused again.")                               \
  X(20, CLOCK_SKEW, clock_skew, AUTH, CLIENT, 0, SYNC_CLOCK,                   \
    "This device's clock differs too much from the server's, so signed "       \
    "requests or tokens are refused.",                                         \
    "Reports the measured offset.")                                            \
  X(21, FILE_TOO_LARGE, file_too_large, POLICY, SERVER, 0, SPLIT_FILE,         \
    "The file is larger than the server accepts.",                             \
    "Refuses before sending a byte when the server announced its limit.")      \
  X(22, FILE_TYPE_BLOCKED, file_type_blocked, POLICY, SERVER, 0, PACKAGE_FILE, \
    "The service does not accept files of this type.",                         \
    "Nothing: retrying would be refused again.")                               \
  X(23, CONTENT_REJECTED, content_rejected, POLICY, SERVER, 0, CONTACT_ADMIN,  \
    "The server refused the content (a scan or validation failed).",           \
    "Nothing: retrying would be refused again.")                               \
  X(24, TOO_MANY_FILES, too_many_files, POLICY, SERVER, 0, REDUCE_BATCH,       \
    "The batch holds more files than the service accepts at once.",            \
    "Refuses before sending when the limit is known.")                         \
  X(25, QUOTA_EXCEEDED, quota_exceeded, QUOTA, SERVER, 0, FREE_QUOTA,          \
    "The account's storage or usage quota is used up.",                        \
    "Nothing: retrying would be refused until space is freed.")                \
  X(26, RATE_LIMITED, rate_limited, THROTTLE, SERVER, 1, WAIT_AND_RETRY,       \
    "Too many requests; the server asks the client to slow down.",             \
    "Waits for Retry-After (or backs off) and retries.")                       \
  X(27, SERVER_UNAVAILABLE, server_unavailable, SERVER, SERVER, 1,             \
    WAIT_AND_RETRY, "The server (or a gateway before it) is unavailable.",     \
    "Backs off, honours Retry-After, resyncs the offset and retries.")         \
  X(28, SERVER_MAINTENANCE, server_maintenance, SERVER, SERVER, 1,             \
    WAIT_AND_RETRY, "The server is down for maintenance.",                     \
    "Waits for Retry-After when it fits the retry budget.")                    \
  X(29, SERVER_ERROR, server_error, SERVER, SERVER, 1, RETRY,                  \
    "The server failed while handling the request.",                           \
    "Backs off, resyncs the offset with HEAD and retries.")                    \
  X(30, UPLOAD_EXPIRED, upload_expired, PROTOCOL, SERVER, 0, RESTART_UPLOAD,   \
    "The server no longer has the upload (expired, deleted or never "          \
    "known).",                                                                 \
    "On resume it starts a new upload and says so in an event.")               \
  X(31, OFFSET_MISMATCH, offset_mismatch, PROTOCOL, SERVER, 1, RETRY,          \
    "The server holds a different number of bytes than expected.",             \
    "Asks the server for its offset with HEAD and continues from there.")      \
  X(32, PROTOCOL_UNSUPPORTED, protocol_unsupported, PROTOCOL, SERVER, 0,       \
    UPDATE_CLIENT,                                                             \
    "The server does not speak a protocol version or extension ferry "         \
    "needs.",                                                                  \
    "Nothing.")                                                                \
  X(33, UNEXPECTED_RESPONSE, unexpected_response, PROTOCOL, SERVER, 0,         \
    CONTACT_ADMIN,                                                             \
    "The server answered in a way the protocol does not allow (bad headers, "  \
    "oversized or garbage response).",                                         \
    "Stops rather than guess; nothing is taken on trust.")                     \
  X(34, REDIRECT_REFUSED, redirect_refused, PROTOCOL, SERVER, 0,               \
    CONTACT_ADMIN,                                                             \
    "The server sent the upload to another origin (or redirected), which "     \
    "ferry does not follow with your credentials.",                            \
    "Refuses to send credentials to another origin.")                          \
  X(35, CHECKSUM_MISMATCH, checksum_mismatch, INTEGRITY, SERVER, 1, RETRY,     \
    "The server computed a different checksum for a chunk than ferry sent.",   \
    "Re-reads the chunk from the file and sends it again.")                    \
  X(36, INTEGRITY_FAILED, integrity_failed, INTEGRITY, CLIENT, 0,              \
    RESTART_UPLOAD,                                                            \
    "After the upload the stored object does not match the source.",           \
    "Reports it; it never reports such an upload as a success.")               \
  X(37, RECIPIENT_REJECTED, recipient_rejected, RECIPIENT, RECIPIENT, 0,       \
    CONTACT_RECIPIENT, "The recipient's account refused the file.",            \
    "Nothing: retrying would be refused again.")                               \
  X(38, UPLOAD_LOCKED, upload_locked, PROTOCOL, SERVER, 1, WAIT_AND_RETRY,     \
    "Another request is writing to the same upload (HTTP 423).",               \
    "Waits, resyncs the offset and retries.")                                  \
  X(39, INTERNAL_ERROR, internal_error, LOCAL, CLIENT, 0, REPORT_BUG,          \
    "ferry itself failed (out of memory, or a bug).",                          \
    "Keeps the resume state so a later run can continue.")                     \
  X(40, SOURCE_NOT_RESUMABLE, source_not_resumable, LOCAL, CLIENT, 0,          \
    RESTART_UPLOAD,                                                            \
    "The source is a stream that cannot be read again from where the "         \
    "server's copy ends (after a restart, or bytes already released).",        \
    "Stops rather than upload a wrong object; upload the data again as a new " \
    "upload.")                                                                 \
  X(41, STATE_UNTRUSTED, state_untrusted, LOCAL, CLIENT, 0, FIX_REQUEST,       \
    "The resume state directory could be steered by someone else: a "          \
    "symbolic link, another user's, or writable by group or others.",          \
    "Stops before sending a byte; make the directory yours, mode 0700.")       \
  X(42, UPLOAD_IN_PROGRESS, upload_in_progress, LOCAL, CLIENT, 1,              \
    WAIT_AND_RETRY,                                                            \
    "Another process is uploading the same source to the same endpoint.",      \
    "Stops before sending a byte, so the two never mix their bytes; try "      \
    "again once the other upload ended.")

#endif /* FERRY_FERRY_ERROR_TABLE_H_ */
