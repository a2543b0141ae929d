/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * ferry: resumable, verified uploads. The stable C ABI.
 *
 * Conventions
 *   - Opaque handles; every *_new has a *_free that accepts NULL.
 *   - Options structs are versioned by their first member, struct_size; start
 *     from the matching *_INIT macro so fields added later get defaults. A zero
 *     field means "use the default" unless documented otherwise.
 *   - Strings are UTF-8, NUL-terminated, borrowed for the duration of the call
 *     unless documented otherwise. Strings returned by getters live as long as
 *     the object they come from.
 *   - Callbacks get the user_data given with them; a non-zero return aborts
 *     the operation, which then fails with FERRY_ERR_CANCELLED.
 *   - No function throws or aborts the process on bad input: it returns an
 *     error code (and, where an out parameter is given, a ferry_error).
 *
 * Thread-safety
 *   - A ferry_client may be used from several threads at once: each call to
 *     ferry_upload_file() runs on the calling thread. The client must outlive
 *     the calls using it, and must not be freed while they run.
 *   - ferry_result and ferry_error objects are immutable after they are
 *     returned; they may be read from any thread, and freed once.
 */
#ifndef FERRY_FERRY_H_
#define FERRY_FERRY_H_

#include <stddef.h>
#include <stdint.h>

#include "ferry/ferry_error_table.h"
#include "ferry/ferry_version.h"

/** Marks the functions libferry exports (everything else stays hidden). */
#if defined(_WIN32)
#define FERRY_API __declspec(dllexport)
#elif defined(__GNUC__)
#define FERRY_API __attribute__((visibility("default")))
#else
#define FERRY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ------------------------------------------------------------ */

/** FERRY_VERSION_MAJOR/MINOR/PATCH/STRING (ferry_version.h) are the version
 * this header belongs to. Returns the loaded library's version, e.g. "0.1.0"
 * (static storage; never free it). Thread-safe. */
FERRY_API const char* ferry_version(void);

/* ---- Error codes, categories, origins, actions (from the error table) --- */

#define FERRY_X_CODE_(value, upper, lower, cat, origin, retry, action, \
                      meaning, does)                                   \
  FERRY_ERR_##upper = value,
/** Error codes: FERRY_OK, then one FERRY_ERR_* per row of the error table
 * (docs/errors.md). */
typedef enum ferry_code {
  FERRY_OK = 0,
  FERRY_ERROR_TABLE(FERRY_X_CODE_) FERRY_CODE_END_
} ferry_code;
#undef FERRY_X_CODE_

#define FERRY_X_ENUM_(value, upper, lower, desc) FERRY_CATEGORY_##upper = value,
/** What kind of failure a code is (network, tls, policy, ...). */
typedef enum ferry_category {
  FERRY_CATEGORY_TABLE(FERRY_X_ENUM_) FERRY_CATEGORY_END_
} ferry_category;
#undef FERRY_X_ENUM_

#define FERRY_X_ENUM_(value, upper, lower, desc) FERRY_ORIGIN_##upper = value,
/** Who refused: the client, the network, the server or the recipient. */
typedef enum ferry_origin {
  FERRY_ORIGIN_TABLE(FERRY_X_ENUM_) FERRY_ORIGIN_END_
} ferry_origin;
#undef FERRY_X_ENUM_

#define FERRY_X_ENUM_(value, upper, lower, desc) FERRY_ACTION_##upper = value,
/** What the user should do about an error (retry_later, split_file, ...). */
typedef enum ferry_action {
  FERRY_ACTION_TABLE(FERRY_X_ENUM_) FERRY_ACTION_END_
} ferry_action;
#undef FERRY_X_ENUM_

/** Stable lower_snake names ("file_too_large", "policy", "server",
 * "split_file"), or NULL for a value not in the table. Thread-safe. */
FERRY_API const char* ferry_code_name(int32_t code);
/** The name of a category ("policy"), or NULL when unknown. Thread-safe. */
FERRY_API const char* ferry_category_name(int32_t category);
/** The name of an origin ("server"), or NULL when unknown. Thread-safe. */
FERRY_API const char* ferry_origin_name(int32_t origin);
/** The name of an action ("split_file"), or NULL when unknown. Thread-safe. */
FERRY_API const char* ferry_action_name(int32_t action);
/** What the user should do for an action, one sentence; NULL when unknown. */
FERRY_API const char* ferry_action_description(int32_t action);

/** The table itself, for bindings and documentation generators: the defaults
 * of a code, or 0 when the code is not in the table. Thread-safe. */
typedef struct ferry_code_info {
  uint32_t struct_size;   /**< sizeof the struct, set by its _INIT macro */
  int32_t code;           /**< the ferry_code */
  const char* name;       /**< its stable name, "file_too_large" */
  int32_t category;       /**< ferry_category */
  int32_t origin;         /**< ferry_origin: who usually refuses */
  int32_t retryable;      /**< 1 when retrying can help by default */
  int32_t action;         /**< ferry_action: what to do by default */
  const char* meaning;    /**< what the code means, one sentence */
  const char* ferry_does; /**< what ferry does about it, one sentence */
} ferry_code_info;
/** Initializer for ferry_code_info. */
#define FERRY_CODE_INFO_INIT \
  { sizeof(ferry_code_info), 0, 0, 0, 0, 0, 0, 0, 0 }
/** Fills *info for code; returns 1 when the code exists, 0 otherwise. */
FERRY_API int32_t ferry_code_info_get(int32_t code, ferry_code_info* info);
/** Highest code value in the table (codes 1..max; gaps are never reused). */
FERRY_API int32_t ferry_code_max(void);

/* ---- Errors ------------------------------------------------------------- */

/** A typed error: who refused, why, whether retrying can help, what to do. */
typedef struct ferry_error ferry_error;

/** Frees an error; NULL is accepted. */
FERRY_API void ferry_error_free(ferry_error* error);
/** The error's code. Every ferry_error_* getter is thread-safe; strings
 * live as long as the error. */
FERRY_API ferry_code ferry_error_code(const ferry_error* error);
/** The kind of failure. */
FERRY_API ferry_category ferry_error_category(const ferry_error* error);
/** Who refused: client, network, server or recipient. */
FERRY_API ferry_origin ferry_error_origin(const ferry_error* error);
/** 1 when retrying the same request later can succeed. */
FERRY_API int32_t ferry_error_retryable(const ferry_error* error);
/** Milliseconds the server asked to wait, or -1 when not known. */
FERRY_API int64_t ferry_error_retry_after_ms(const ferry_error* error);
/** What the user should do (see ferry_action_description()). */
FERRY_API ferry_action ferry_error_action(const ferry_error* error);
/** Human-readable message (never contains credentials or signed URLs). */
FERRY_API const char* ferry_error_message(const ferry_error* error);
/** HTTP status of the response that caused the error, or 0. */
FERRY_API int32_t ferry_error_http_status(const ferry_error* error);
/** Server-specific code and message (e.g. from problem+json), or "". */
FERRY_API const char* ferry_error_server_code(const ferry_error* error);
/** The server's own message (e.g. problem+json "detail"), or "". */
FERRY_API const char* ferry_error_server_message(const ferry_error* error);
/** Request id the server gave (X-Request-Id and similar), or "". */
FERRY_API const char* ferry_error_request_id(const ferry_error* error);
/** A limit involved (e.g. the max size in bytes the server announced), or -1.
 */
FERRY_API int64_t ferry_error_limit(const ferry_error* error);
/** The URL involved, redacted (no query string, no user info), or "". */
FERRY_API const char* ferry_error_url(const ferry_error* error);
/** Server clock minus this device's clock in ms, measured from the Date
 * header of the response behind the error; returns 1 and sets *ms when
 * known, 0 otherwise. */
FERRY_API int32_t ferry_error_clock_skew_ms(const ferry_error* error,
                                            int64_t* ms);
/** The whole error as one JSON object, as the CLI prints it. */
FERRY_API const char* ferry_error_json(const ferry_error* error);

/* ---- Client ------------------------------------------------------------- */

/** The wire protocol a client speaks. */
typedef enum ferry_protocol {
  FERRY_PROTOCOL_TUS = 0, /**< tus 1.0 resumable uploads */
  FERRY_PROTOCOL_S3 = 1,  /**< S3 multipart (AWS, Ceph RGW, MinIO), SigV4 */
  /** The IETF resumable-upload draft (draft-ietf-httpbis-resumable-upload,
   * interop versions 8 to 5, negotiated); see docs/ietf.md. */
  FERRY_PROTOCOL_IETF = 2,
  /** tus or the IETF draft, as the endpoint's OPTIONS answer says (tus when
   * it offers both), chosen once per client on its first upload. */
  FERRY_PROTOCOL_AUTO = 3
} ferry_protocol;

/* ---- Credentials refresh ------------------------------------------------ */

/** Where a refresh callback puts fresh credentials. */
typedef struct ferry_credentials ferry_credentials;
/** Sets a header (e.g. "Authorization", "Bearer new") for every later
 * request, replacing one of the same name. FERRY_OK or
 * FERRY_ERR_INVALID_ARGUMENT. Only valid inside the callback. */
FERRY_API ferry_code ferry_credentials_set_header(ferry_credentials* out,
                                                  const char* name,
                                                  const char* value);
/** S3 (SigV4): new keys for every later request, e.g. from an STS refresh;
 * session_token may be NULL. The region stays. FERRY_OK, or
 * FERRY_ERR_INVALID_ARGUMENT (empty keys, control characters, or a client
 * of another protocol). Only valid inside the callback. */
FERRY_API ferry_code ferry_credentials_set_s3(ferry_credentials* out,
                                              const char* access_key_id,
                                              const char* secret_access_key,
                                              const char* session_token);
/** Called on unauthenticated or credentials_expired (at most 3 times in a row
 * without progress). Return 0 after setting fresh headers to retry and
 * continue the upload where it was; non-zero to give up with the error.
 * Runs on the uploading thread. */
typedef int (*ferry_refresh_fn)(const ferry_error* why, ferry_credentials* out,
                                void* user_data);

/* ---- Logging ------------------------------------------------------------ */

/** Levels, the numbers Python's logging uses. */
#define FERRY_LOG_DEBUG 10   /**< decisions: compression level, read-ahead */
#define FERRY_LOG_INFO 20    /**< an upload created, resumed, paused, done */
#define FERRY_LOG_WARNING 30 /**< a retry (reason and delay), a restart */
#define FERRY_LOG_ERROR 40   /**< an upload failed, and why */

/** One line about an upload, for a log: what ferry decided and why, prefixed
 * with the source's name. Messages are redacted like errors: no
 * credentials, no signed URL, no query string. Called from the uploading
 * threads (several at once in batches and for handles): must be
 * thread-safe, and must not call back into ferry for the same upload. */
typedef void (*ferry_log_fn)(int32_t level, const char* message,
                             void* user_data);

/** S3 presigned mode: the operation a URL is asked for. */
typedef enum ferry_s3_op {
  FERRY_S3_CREATE = 1,      /**< CreateMultipartUpload: POST key?uploads */
  FERRY_S3_UPLOAD_PART = 2, /**< UploadPart: PUT key?partNumber=N&uploadId=U */
  FERRY_S3_LIST_PARTS = 3,  /**< ListParts: GET key?uploadId=U (resume) */
  FERRY_S3_COMPLETE = 4,    /**< CompleteMultipartUpload: POST key?uploadId=U */
  FERRY_S3_ABORT = 5,       /**< AbortMultipartUpload: DELETE key?uploadId=U */
  /** HeadObject: HEAD key, asked only when a completion's answer was lost
   * and the retry found no upload (the object's ETag decides, docs/s3.md);
   * a presigner that cannot sign it leaves the upload_expired error. */
  FERRY_S3_HEAD_OBJECT = 6
} ferry_s3_op;

/** One S3 request ferry wants a presigned URL for (see ferry_s3_presign_fn). */
typedef struct ferry_s3_presign_request {
  uint32_t struct_size;  /**< sizeof the struct, set by its _INIT macro */
  int32_t op;            /**< ferry_s3_op */
  const char* method;    /**< the HTTP method ferry will use */
  const char* bucket;    /**< the bucket */
  const char* key;       /**< the object's key */
  const char* upload_id; /**< "" for FERRY_S3_CREATE */
  /** UPLOAD_PART: the part number (1..10000). LIST_PARTS: the
   * part-number-marker to put in the URL when not 0 (later pages). */
  uint32_t part_number;
  /** Headers ferry sends with the request, which the URL's signature may
   * cover: x-amz-meta-* on CREATE, Content-MD5 on UPLOAD_PART, Content-Type
   * on COMPLETE. */
  uint32_t header_count;
  const char* const* header_names;  /**< header_count names */
  const char* const* header_values; /**< their values, in the same order */
} ferry_s3_presign_request;

/** Writes a NUL-terminated http(s) URL for the request into url_out (room for
 * url_capacity bytes, 16 KiB) and returns 0; non-zero ends the upload as
 * cancelled (its resume state kept). Called for every request, from the
 * uploading thread and from part workers at once: it must be thread-safe.
 * Pointers in `request` are valid during the call only. */
typedef int (*ferry_s3_presign_fn)(const ferry_s3_presign_request* request,
                                   char* url_out, uint32_t url_capacity,
                                   void* user_data);

/** How a client connects, retries, compresses and keeps resume state. Start
 * from FERRY_CLIENT_OPTIONS_INIT; a zero field takes its default. */
typedef struct ferry_client_options {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  /** Required: the tus creation endpoint, e.g. "https://host/files/" (for
   * FERRY_PROTOCOL_IETF and _AUTO the URL uploads are created at); for
   * FERRY_PROTOCOL_S3 the service endpoint ("https://s3.example:443"),
   * requests going path-style to endpoint/bucket/key. */
  const char* endpoint;
  int32_t protocol; /**< ferry_protocol; default tus */
  /** Resume state directory; default $XDG_STATE_HOME/ferry or
   * ~/.local/state/ferry (with neither variable set, uploads fail with
   * state_unwritable: there is no shared fallback). Created 0700 when
   * missing; an existing one must be a directory (not a symbolic link)
   * owned by this user and not writable by group or others, else uploads
   * fail with state_untrusted before a byte is sent. It holds no client
   * secret: endpoints are stored without user info or query string (the
   * upload URL the server gave is kept: it is the resume capability, in a
   * 0600 file). Entries are removed once their upload ends, past the
   * server's expiry, or after 30 days without one. */
  const char* state_dir;
  /** PEM bundle of CA certificates to trust instead of the system's. */
  const char* ca_file;
  /** Turns TLS verification OFF. Never set this outside tests. */
  int32_t insecure_skip_tls_verify;
  /** Bytes per chunk: the unit ferry reads, checks, compresses (one zstd
   * frame each) and resumes by. With a server's tus checksum extension each
   * PATCH carries one chunk and its Upload-Checksum; otherwise PATCHes
   * stream many chunks (see request_size). Default 4 MiB; at most 2 GiB
   * (invalid_argument beyond). */
  uint64_t chunk_size;
  /** Retries in a row without progress before giving up. Default 8; set
   * no_retries to 1 for none. */
  uint32_t max_retries;
  int32_t no_retries; /**< 1: no retries at all (max_retries is ignored) */
  /** Backoff: first delay and cap, in ms. Defaults 250 and 30000. */
  uint32_t retry_base_delay_ms;
  uint32_t retry_max_delay_ms; /**< the backoff's cap, ms; default 30000 */
  /** Longest time spent retrying without progress, ms. Default 300000. */
  uint32_t retry_deadline_ms;
  /** Stall timeout: fail a request that moves fewer than stall_min_bps bytes
   * per second for stall_window_ms. Defaults 1024 B/s over 30000 ms. */
  uint32_t stall_window_ms;
  uint32_t stall_min_bps; /**< see stall_window_ms; default 1024 B/s */
  /** TCP + TLS connect timeout in ms. Default 15000. */
  uint32_t connect_timeout_ms;
  /** Upper bound on the upload speed in bytes/s; 0 means unlimited. */
  uint64_t max_send_bytes_per_sec;
  /** The service's policy, checked before a byte is sent: comma-separated
   * extensions it refuses (".exe,.bat") → file_type_blocked. */
  const char* blocked_extensions;
  /** Most files one batch may hold (ferry_client_check_batch); 0: no limit. */
  uint32_t max_files_per_batch;
  /** A 401/403 while the server's clock (its Date header) differs from this
   * device's by more than this many ms is clock_skew. Default 120000. */
  uint32_t max_clock_skew_ms;
  /** Called for fresh credentials on unauthenticated or credentials_expired;
   * NULL: those errors end the upload. */
  ferry_refresh_fn on_refresh_credentials;
  void* refresh_user_data; /**< passed to on_refresh_credentials */
  /** Compression: FERRY_COMPRESS_AUTO (0, the default: adapts the zstd level
   * to the link), FERRY_COMPRESS_OFF (-1), or a zstd level 1..22. See
   * docs/compression.md for the stored format. */
  int32_t compress_level;
  /** Comma-separated origins ("https://files.example:443") besides the
   * endpoint's own that the server may send ferry to: upload URLs (tus
   * Location) and 307/308 redirects there are followed WITH this client's
   * headers (credentials). Anything else is redirect_refused before a byte
   * is sent there. Same-origin redirects are followed (at most 5 in a row). */
  const char* allowed_origins;
  /** Most file bytes one PATCH carries when requests stream (no per-request
   * checksum); 0, the default: the rest of the file in one request, read
   * from chunks checked ahead of the network. */
  uint64_t request_size;
  /** Upper bound in bytes on the buffers of all uploads of this client at
   * once; an upload holds at most 4 chunks (of its file, at most its size).
   * 0: 64 MiB. invalid_argument when below 4 * chunk_size. Memory never
   * grows with the file size. */
  uint64_t memory_budget;
  /** 1: hash the whole file before creating its upload and send its SHA-256
   * as Upload-Metadata "sha256" (for servers that verify it; costs a read
   * of the file before the first byte goes out). 0, the default: the file
   * is hashed as it streams; the result reports the SHA-256 either way. */
  int32_t announce_sha256;
  /* ---- S3 (protocol FERRY_PROTOCOL_S3); see docs/s3.md ---- */
  /** Required: the bucket. */
  const char* s3_bucket;
  /** Credentials; NULL or "" finds them as the AWS CLI does: the
   * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN), then the profile (AWS_PROFILE, else "default") of
   * the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE,
   * AWS_CONFIG_FILE, else ~/.aws/), its keys or its credential_process
   * (keys with an Expiration are fetched again before they expire and on
   * ExpiredToken). The region: this option, AWS_REGION, AWS_DEFAULT_REGION,
   * the profile's, us-east-1. Errors at ferry_client_new: invalid_argument
   * when no keys are found (the message says where it looked) or the
   * credential_process fails. The secret is never logged nor put in an
   * error. */
  const char* s3_access_key_id;
  const char* s3_secret_access_key; /**< see s3_access_key_id */
  const char* s3_session_token;     /**< see s3_access_key_id */
  const char* s3_region;            /**< see s3_access_key_id */
  /** 0, the default: every part is signed with its SHA-256, which the server
   * verifies (XAmzContentSHA256Mismatch → checksum_mismatch). 1: parts go
   * as UNSIGNED-PAYLOAD, protected by Content-MD5 alone (signed parts carry
   * no Content-MD5: the server verifies their signed SHA-256). */
  int32_t s3_unsigned_payload;
  /** Bytes per part, 5 MiB .. 5 GiB; 0: 8 MiB. Grown for files that would
   * need more than 9,000 parts. With compression, a part holds whole zstd
   * frames of chunk_size file bytes until it reaches this size. */
  uint64_t s3_part_size;
  /** Parts sent at once; 0: 4. Bounded by memory_budget (each part in flight
   * is held in memory). */
  uint32_t s3_parallel_parts;
  /** This device's clock error, server minus local, in ms, when the app
   * knows it; the signer corrects it. 0: none (ferry still corrects from a
   * server's RequestTimeTooSkewed answer, once per request). */
  int64_t clock_offset_ms;
  /** Presigned mode: when set, ferry holds no S3 secret and signs nothing;
   * every request goes to the URL this returns (the app's backend presigns
   * it). endpoint and bucket still name the object (resume state, error
   * messages); the client's headers are sent only to the endpoint's origin.
   * Parts are protected by Content-MD5 (no x-amz-content-sha256). */
  ferry_s3_presign_fn s3_presign;
  void* s3_presign_user_data; /**< passed to s3_presign */
  /* ---- Logging (see ferry_log_fn) ---- */
  ferry_log_fn on_log; /**< NULL: no log lines */
  void* log_user_data; /**< passed to on_log */
  /** The least level passed to on_log; 0: FERRY_LOG_INFO. */
  int32_t log_level;
  /** Since 0.1 (struct_size): the lowest TLS version accepted: 12 for TLS
   * 1.2 (0, the default: the floor), 13 for TLS 1.3. invalid_argument
   * otherwise. */
  int32_t tls_min_version;
  /** Since 0.1 (struct_size): where the bucket goes in S3 requests, a
   * ferry_s3_addressing (0: AUTO). invalid_argument for another value, or
   * for VIRTUAL with a bucket name that cannot be a host name label. */
  int32_t s3_addressing;
  /** Since 0.1 (struct_size): S3 sources smaller than this (of known size
   * and readable again: a path, descriptor or buffer) go in one PutObject
   * instead of create, parts and complete; 0: 8 MiB (aws-cli's default);
   * negative: always multipart. Presigned mode is always multipart. */
  int64_t s3_multipart_threshold;
  /** Since 0.1 (struct_size): the profile of the shared credentials and
   * config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, or
   * ~/.aws) that keys, region and credential_process come from when
   * neither these options nor the environment give keys; NULL or "":
   * AWS_PROFILE, then "default". Copied. A profile that gives no keys is
   * invalid_argument naming it and the files read. */
  const char* s3_profile;
} ferry_client_options;

/** S3 addressing (ferry_client_options.s3_addressing); docs/s3.md. */
typedef enum ferry_s3_addressing {
  /** Virtual-hosted for AWS endpoints (*.amazonaws.com) when the bucket
   * name can be a host name label, path-style otherwise. */
  FERRY_S3_ADDRESSING_AUTO = 0,
  FERRY_S3_ADDRESSING_PATH = 1,   /**< ENDPOINT/BUCKET/KEY */
  FERRY_S3_ADDRESSING_VIRTUAL = 2 /**< BUCKET.ENDPOINT-HOST/KEY */
} ferry_s3_addressing;

/** compress_level: adapt the zstd level to the link (the default). */
#define FERRY_COMPRESS_AUTO 0
/** compress_level: send the bytes as they are. */
#define FERRY_COMPRESS_OFF (-1)

/** Initializer for ferry_client_options: every field its default. */
#define FERRY_CLIENT_OPTIONS_INIT                                              \
  {                                                                            \
    sizeof(ferry_client_options), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   \
        0, 0, 0, 0, 0                                                          \
  }

/** A client: one endpoint, its options, headers, rules and connections.
 * Uploads on it may run from several threads at once. */
typedef struct ferry_client ferry_client;

/** Creates a client. On failure returns NULL and, when error_out is not NULL,
 * stores a ferry_error the caller frees (invalid_argument for a bad endpoint
 * or options, state_unwritable when the state directory cannot be made). */
FERRY_API ferry_client* ferry_client_new(const ferry_client_options* options,
                                         ferry_error** error_out);
/** Frees a client; NULL is accepted. Calls running on it on other threads
 * (ferry_upload_file/source, ferry_upload_batch, the doctor, the pending
 * list) are asked to stop at their next progress check, end as cancelled
 * (resume state kept), and are waited for; calls made while it is being
 * freed fail with invalid_argument. Uploads started with
 * ferry_upload_start() are cancelled the same way; their handles stay
 * valid to query and must still be freed. Called from a callback of one of
 * this client's own calls it cannot wait for that call: it prints a
 * warning to stderr and frees nothing. No call may be made on the client
 * once this returns. */
FERRY_API void ferry_client_free(ferry_client* client);
/** Adds a header sent with every request ("Authorization", "Bearer x").
 * Returns FERRY_OK or FERRY_ERR_INVALID_ARGUMENT (empty name, CR/LF, or a
 * header ferry manages itself such as Upload-Offset). Call before uploads
 * start; not thread-safe with running uploads. */
FERRY_API ferry_code ferry_client_add_header(ferry_client* client,
                                             const char* name,
                                             const char* value);

/* ---- Rules: a server's own error conventions → ferry codes --------------- */

/** A rule mapping a server's own error convention to a ferry code. */
typedef struct ferry_rule {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  /** Conditions (all given must hold; 0 / NULL means any). */
  int32_t status;
  const char* header_name;     /**< a response header that must be present */
  const char* header_contains; /**< text that header_name must contain */
  const char* json_pointer;    /**< RFC 6901, e.g. "/error/code" */
  const char* json_equals;     /**< compared as text: "50001" matches 50001 */
  const char* body_contains;   /**< text the body must contain */
  /** Outcome: a code name ("clock_skew"); optional action and origin names,
   * retryable (-1: the code's default, 0, 1) and message. */
  const char* code;
  const char* action;  /**< an action name, or NULL: the code's default */
  const char* origin;  /**< an origin name, or NULL: the code's default */
  int32_t retryable;   /**< -1: the code's default; 0 or 1 */
  const char* message; /**< the message to give, or NULL: the server's */
} ferry_rule;
/** Initializer for ferry_rule. */
#define FERRY_RULE_INIT \
  { sizeof(ferry_rule), 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0 }

/** Adds one rule (rules apply in the order added; first match wins). Call
 * before uploads start. Errors: invalid_argument (unknown code or action,
 * no condition, bad pointer, uploads already started). */
FERRY_API ferry_code ferry_client_add_rule(ferry_client* client,
                                           const ferry_rule* rule,
                                           ferry_error** error_out);
/** Adds the rules of a JSON document (see docs/rules.md), from text or from a
 * file. Errors: invalid_argument naming the rule at fault; file_not_found or
 * file_unreadable for the file. */
FERRY_API ferry_code ferry_client_add_rules_json(ferry_client* client,
                                                 const char* json_text,
                                                 ferry_error** error_out);
/** ferry_client_add_rules_json() with the JSON read from the file at path. */
FERRY_API ferry_code ferry_client_load_rules_file(ferry_client* client,
                                                  const char* path,
                                                  ferry_error** error_out);

/** Preflight for a batch of file_count files: too_many_files (with the limit)
 * when it exceeds max_files_per_batch, else FERRY_OK. Thread-safe. */
FERRY_API ferry_code ferry_client_check_batch(ferry_client* client,
                                              uint32_t file_count,
                                              ferry_error** error_out);

/* ---- Doctor: what stands between this device and a working upload ------- */

/** What ferry_client_doctor() found, check by check. */
typedef struct ferry_doctor_report ferry_doctor_report;
/** Checks DNS, TCP, TLS (version, chain, expiry, name), the clock against the
 * server's Date, the server's capabilities (tus version, extensions, max
 * size), the credentials, and a 1-byte upload (removed again when the
 * server offers termination), with the client's options and headers.
 * Returns FERRY_OK when nothing failed; otherwise the first failure's code,
 * with that error in *error_out. The report (always set when report_out is
 * not NULL) says what each check found. Thread-safe. */
FERRY_API ferry_code ferry_client_doctor(ferry_client* client,
                                         ferry_doctor_report** report_out,
                                         ferry_error** error_out);
/** Frees a report; NULL is accepted. */
FERRY_API void ferry_doctor_report_free(ferry_doctor_report* report);
/** {"ok": bool, "checks": [{"check", "status" (ok|warn|fail|skipped),
 *  "detail", "error"?}]} */
FERRY_API const char* ferry_doctor_report_json(const ferry_doctor_report* r);
/** The same for people: one line per check, with what to do. */
FERRY_API const char* ferry_doctor_report_text(const ferry_doctor_report* r);

/* ---- Uploads ------------------------------------------------------------ */

/** Where an upload stands (progress callbacks, ferry_upload_get_status()). */
typedef struct ferry_progress {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  uint64_t bytes_done;  /**< never decreases, never exceeds bytes_total */
  /** The source's size; for a stream of unknown length, the bytes read so
   * far (growing) until its end is read. */
  uint64_t bytes_total;
  uint64_t bytes_acked; /**< bytes the server confirmed holding */
  uint64_t wire_bytes;  /**< body bytes put on the wire by this call so far */
  /** 1 when bytes_total is the final size; 0 for a stream whose end was
   * not read yet. */
  int32_t total_known;
} ferry_progress;

/** What an event reports. */
typedef enum ferry_event_type {
  FERRY_EVENT_RETRY = 1,     /**< code, attempt, delay_ms, message */
  FERRY_EVENT_RESUMED = 2,   /**< offset: where the server's copy ends */
  FERRY_EVENT_RESTARTED = 3, /**< code: why a fresh upload replaced the old */
  FERRY_EVENT_CREATED = 4,   /**< a new upload exists on the server */
  FERRY_EVENT_STATE_DISCARDED = 5, /**< unreadable or corrupt resume state */
  FERRY_EVENT_COMPRESSION_OFF = 6, /**< compression asked for, not possible */
  FERRY_EVENT_PAUSED = 7,          /**< ferry_upload_pause took effect */
  /** ferry_upload_resume: offset is where it goes on */
  FERRY_EVENT_UNPAUSED = 8,
  /** TLS verification is off for this upload (insecure_skip_tls_verify):
   * said at the start of every upload, whichever API started it. */
  FERRY_EVENT_TLS_UNVERIFIED = 9
} ferry_event_type;

/** Something an upload did besides sending bytes: a retry, a resume, ... */
typedef struct ferry_event {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  int32_t type;         /**< ferry_event_type */
  int32_t code;         /**< ferry_code, or 0 */
  uint32_t attempt;     /**< RETRY: 1 for the first retry in a row */
  uint64_t delay_ms;    /**< RETRY: the wait before it */
  uint64_t offset;      /**< RESUMED, CREATED, PAUSED, UNPAUSED: the offset */
  const char* message;  /**< redacted, never NULL */
  /** In a batch, the index of the file the event is about; 0 otherwise. */
  uint32_t file_index;
} ferry_event;

/** Progress callback; non-zero return cancels the upload. */
typedef int (*ferry_progress_fn)(const ferry_progress* progress,
                                 void* user_data);
/** Event callback; non-zero return cancels the upload. */
typedef int (*ferry_event_fn)(const ferry_event* event, void* user_data);

/** A key and its value (metadata). */
typedef struct ferry_kv {
  const char* key;   /**< the key */
  const char* value; /**< its value */
} ferry_kv;

/** What to do when a file changed since its interrupted upload. */
typedef enum ferry_on_change {
  FERRY_ON_CHANGE_FAIL = 0,   /**< a changed file fails with file_changed */
  FERRY_ON_CHANGE_RESTART = 1 /**< a changed file starts a fresh upload */
} ferry_on_change;

/** Options of one upload. Start from FERRY_UPLOAD_OPTIONS_INIT. */
typedef struct ferry_upload_options {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  /** Extra Upload-Metadata pairs. "filename" is always sent, "sha256" with
   * the client's announce_sha256. */
  const ferry_kv* metadata;
  uint32_t metadata_count; /**< entries in metadata */
  /** Called after every chunk the server acknowledges, at most every ~100 ms
   * while a request is in flight, and at the end; non-zero return cancels. */
  ferry_progress_fn on_progress;
  void* progress_user_data; /**< passed to on_progress */
  /** Called for retries, resumes and restarts; non-zero return cancels. */
  ferry_event_fn on_event;
  void* event_user_data; /**< passed to on_event */
  /** On cancel: 0 keeps the resume state, 1 deletes the upload on the server
   * (tus termination) and forgets it. */
  int32_t discard_on_cancel;
  int32_t on_change; /**< ferry_on_change */
  /** S3: the object's key; NULL or "": the file's name. On cancel with
   * discard_on_cancel the multipart upload is aborted. */
  const char* object_key;
  /** Since 0.1 (struct_size), S3 only: headers the object is created with
   * (sent with CreateMultipartUpload): Content-Type, Cache-Control,
   * Content-Disposition, Content-Language, Expires, x-amz-storage-class,
   * x-amz-acl, x-amz-tagging, x-amz-website-redirect-location and
   * x-amz-server-side-encryption with its -aws-kms-key-id, -context and
   * -bucket-key-enabled. Another name, a control character in a value, or
   * any with tus is invalid_argument. Copied before the call returns. */
  const ferry_kv* object_headers;
  uint32_t object_headers_count; /**< entries in object_headers */
  /** Since 0.1, S3 only: without a Content-Type in object_headers, send the
   * one the name's extension has in /etc/mime.types (Debian's
   * media-types); none when it has none. */
  int32_t guess_content_type;
} ferry_upload_options;

/** Initializer for ferry_upload_options. */
#define FERRY_UPLOAD_OPTIONS_INIT \
  { sizeof(ferry_upload_options), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** A finished upload: its URL, size, SHA-256 and what it took. */
typedef struct ferry_result ferry_result;

/** Uploads the file at path, resuming an interrupted upload of the same file
 * to the same endpoint when the resume state and the server allow, and
 * blocks until it is done. Returns FERRY_OK and stores a ferry_result in
 * *result_out (when not NULL), or returns the error code and stores a
 * ferry_error in *error_out (when not NULL). The caller frees both.
 * Errors: any code of the table (see docs/errors.md). */
FERRY_API ferry_code ferry_upload_file(ferry_client* client, const char* path,
                                       const ferry_upload_options* options,
                                       ferry_result** result_out,
                                       ferry_error** error_out);

/** Frees a result; NULL is accepted. */
FERRY_API void ferry_result_free(ferry_result* result);
/** The upload's URL on the server (may hold a secret: do not log it). */
FERRY_API const char* ferry_result_url(const ferry_result* result);
/** The same URL without user info, query or fragment: safe to log. */
FERRY_API const char* ferry_result_url_redacted(const ferry_result* result);
/** The size of the source uploaded, in bytes. */
FERRY_API uint64_t ferry_result_bytes(const ferry_result* result);
/** Body bytes this call put on the wire, retries included. */
FERRY_API uint64_t ferry_result_wire_bytes(const ferry_result* result);
/** Lower-case hex SHA-256 of the whole file. */
FERRY_API const char* ferry_result_sha256(const ferry_result* result);
/** "identity", or "zstd" when the stored object is a zstd stream of the file
 * (docs/compression.md). */
FERRY_API const char* ferry_result_encoding(const ferry_result* result);
/** Offset in the stored object this call resumed from (0 for a fresh
 * upload); for "zstd" it counts compressed bytes. */
FERRY_API uint64_t ferry_result_resumed_from(const ferry_result* result);

/* ---- Sources: what an upload reads ------------------------------------- */

/** A description of the bytes to upload: a path, an open file descriptor,
 * bytes in memory, or a read callback. Create one, pass it to
 * ferry_upload_source() or ferry_upload_start() (which take what they need:
 * the source may be freed right after), then free it.
 *
 * Resume rules. Seekable sources (a path, a descriptor of a regular file,
 * memory) resume across retries in the process; those with an identity on
 * disk (a path, a descriptor whose /proc path still names the file) also
 * resume after the process ends, exactly as ferry_upload_file() does.
 * Streams (a read callback, a pipe or socket descriptor) are read once, by
 * a thread of the upload that reads ahead while the network sends. ferry
 * keeps the bytes the server has not acknowledged in memory (tus: the
 * window being sent and the next, up to 4 chunks each, besides the 4 chunk
 * buffers of any upload, so a stream needs a memory_budget of at least 6
 * chunks; S3: the parts in flight), bounded by the client's memory_budget,
 * never by the stream's length. A retry in the process loses nothing;
 * after the process ends a stream cannot be resumed (ferry_client_pending()
 * lists it; source_not_resumable).
 * A stream of unknown length is sent with tus creation-defer-length (its
 * length declared with the last PATCH) or as S3 parts until its end (at
 * most 10,000 parts of s3_part_size). Compression and the SHA-256 work the
 * same for every kind. */
typedef struct ferry_source ferry_source;

/** The file at `path` (opened when an upload starts: file_not_found and
 * file_unreadable come from the upload). NULL only when path is NULL or
 * memory is exhausted. */
FERRY_API ferry_source* ferry_source_from_path(const char* path);
/** An open descriptor: ferry duplicates it now (the caller may close its
 * own). A regular file is read by position (any current offset); a pipe,
 * socket or terminal is a stream of unknown length, read once, from where
 * it stands. Errors: invalid_argument (not an open descriptor). */
FERRY_API ferry_source* ferry_source_from_fd(int32_t fd,
                                             ferry_error** error_out);
/** `size` bytes at `data`. copy 1: ferry copies them now (the caller may
 * free them at once). copy 0: no copy; the caller keeps them unchanged and
 * alive until every upload started from this source has ended (its handle
 * waited for or freed, or the blocking call returned). NULL data with size
 * 0 is an empty source. Errors: invalid_argument (NULL data with size > 0). */
FERRY_API ferry_source* ferry_source_from_memory(const void* data,
                                                 uint64_t size, int32_t copy,
                                                 ferry_error** error_out);

/** Reads up to `max` bytes into `buffer`: returns how many (1..max), 0 at
 * the end, or -1 on a failure (the upload fails with file_unreadable).
 * Returning more than max fails the upload with invalid_argument. Called
 * from a reader thread of the upload (reading ahead while the network
 * sends), never concurrently with itself. A read that blocks holds the
 * upload's end (a cancel or ferry_upload_free waits for it to return). */
typedef int64_t (*ferry_read_fn)(void* buffer, uint64_t max, void* user_data);
/** ferry_source_from_callback(): the stream's length is not known. */
#define FERRY_LENGTH_UNKNOWN (-1)
/** A stream: `read` until it returns 0. `length` is its exact size, or
 * FERRY_LENGTH_UNKNOWN; a stream that ends before a declared length, or
 * goes on past it, fails with file_changed (never a cut or padded
 * object). user_data must stay valid until the upload ends. A callback
 * source can be uploaded once; a second upload of it fails with
 * invalid_argument. Errors: invalid_argument (NULL read, length < -1). */
FERRY_API ferry_source* ferry_source_from_callback(ferry_read_fn read,
                                                   void* user_data,
                                                   int64_t length,
                                                   ferry_error** error_out);
/** The name the upload goes by: tus "filename" metadata and the default S3
 * key (a path's default: its base name; other sources have none, and an
 * S3 upload of one needs object_key). The blocked-extension check applies
 * to it. FERRY_OK or invalid_argument (NULL source, control characters). */
FERRY_API ferry_code ferry_source_set_name(ferry_source* source,
                                           const char* name);
/** Frees a source; NULL is accepted. Uploads started from it are not
 * affected. */
FERRY_API void ferry_source_free(ferry_source* source);

/** ferry_upload_file() for any source: blocks until the upload ends.
 * Errors: any code of the table, and source_not_resumable. */
FERRY_API ferry_code ferry_upload_source(ferry_client* client,
                                         const ferry_source* source,
                                         const ferry_upload_options* options,
                                         ferry_result** result_out,
                                         ferry_error** error_out);

/* ---- A handle for each upload: start, pause, resume, cancel, wait ------- */

/** A running upload. Handles are ids, not memory: a call on a handle that
 * was freed (or never existed) returns invalid_argument rather than
 * touching freed memory. Every function here is thread-safe. */
typedef struct ferry_upload ferry_upload;

/** Where a started upload is. */
typedef enum ferry_upload_phase {
  FERRY_PHASE_OPENING = 0,   /**< the source, discovery, the app's policy */
  FERRY_PHASE_RESUMING = 1,  /**< checking saved state against the server */
  FERRY_PHASE_CREATING = 2,  /**< creating the server-side upload */
  FERRY_PHASE_SENDING = 3,   /**< sending the bytes */
  FERRY_PHASE_PAUSED = 4,    /**< paused: no request in flight */
  FERRY_PHASE_FINISHING = 5, /**< completing (S3), verifying the result */
  FERRY_PHASE_DONE = 6,      /**< ended: uploaded */
  FERRY_PHASE_FAILED = 7     /**< ended: failed or cancelled */
} ferry_upload_phase;

/** A started upload's phase and progress (ferry_upload_get_status()). */
typedef struct ferry_upload_status {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  int32_t phase;        /**< ferry_upload_phase */
  uint64_t bytes_done;  /**< see ferry_progress */
  uint64_t bytes_total; /**< see ferry_progress */
  uint64_t bytes_acked; /**< see ferry_progress */
  uint64_t wire_bytes;  /**< see ferry_progress */
  int32_t total_known;  /**< see ferry_progress */
  /** The last error met (retried, or final once FAILED), or 0; its message
   * through ferry_upload_last_error(). */
  int32_t last_error_code;
} ferry_upload_status;
/** Initializer for ferry_upload_status. */
#define FERRY_UPLOAD_STATUS_INIT \
  { sizeof(ferry_upload_status), 0, 0, 0, 0, 0, 0, 0 }

/** Starts uploading `source` on a thread of its own and returns at once.
 * The options are copied (callbacks are then called from that thread;
 * their user data must stay valid until the upload ends). Freeing the
 * client ends the upload (cancelled). Returns NULL (with *error_out) on
 * invalid_argument: NULL client or source, a callback source already used.
 * Errors of the upload itself come from ferry_upload_outcome(). */
FERRY_API ferry_upload* ferry_upload_start(ferry_client* client,
                                           const ferry_source* source,
                                           const ferry_upload_options* options,
                                           ferry_error** error_out);
/** Pauses: the request in flight is stopped (within one progress tick,
 * ~100 ms to 1 s) and no connection is held for the upload; a pause asked
 * before sending begins takes effect when it does. Resume continues from
 * the offset the server reports. Pausing a paused upload is FERRY_OK.
 * Errors: invalid_argument (unknown or freed handle, or the upload ended). */
FERRY_API ferry_code ferry_upload_pause(ferry_upload* upload,
                                        ferry_error** error_out);
/** Resumes a paused upload from the offset the server reports. Resuming a
 * running upload is FERRY_OK. Errors: invalid_argument (unknown or freed
 * handle, or the upload ended). */
FERRY_API ferry_code ferry_upload_resume(ferry_upload* upload,
                                         ferry_error** error_out);
/** Cancels (a paused upload too): the upload ends with cancelled. discard 0
 * keeps the resume state (and the server's copy); 1 removes both (tus
 * termination, S3 abort; retried a few times while the server still holds
 * the cancelled request's lock). A cancel while the creating request is in
 * flight cannot name the server's copy (its URL was not answered yet): that
 * copy expires on the server. Errors: invalid_argument as above. */
FERRY_API ferry_code ferry_upload_cancel(ferry_upload* upload, int32_t discard,
                                         ferry_error** error_out);
/** Waits up to timeout_ms (-1: without limit) for the upload to end. Returns
 * 1 when it has ended, 0 on timeout, -1 for an unknown or freed handle. */
FERRY_API int32_t ferry_upload_wait(ferry_upload* upload, int64_t timeout_ms);
/** Fills *status (phase, progress, last error code). FERRY_OK, or
 * invalid_argument for an unknown or freed handle. */
FERRY_API ferry_code ferry_upload_get_status(ferry_upload* upload,
                                             ferry_upload_status* status);
/** The last error met so far (a copy the caller frees), or NULL. */
FERRY_API ferry_error* ferry_upload_last_error(ferry_upload* upload);
/** How the upload ended: FERRY_OK with a result the caller frees, or its
 * error code with the error. invalid_argument (the upload has not ended:
 * wait first; or an unknown handle). May be called more than once. */
FERRY_API ferry_code ferry_upload_outcome(ferry_upload* upload,
                                          ferry_result** result_out,
                                          ferry_error** error_out);
/** Frees a handle; NULL and unknown handles are ignored. An upload still
 * running is cancelled first (its resume state kept) and waited for, so no
 * thread of it outlives this call. */
FERRY_API void ferry_upload_free(ferry_upload* upload);

/* ---- Unfinished uploads: the "transfer center" ------------------------- */

/** A list of unfinished uploads (ferry_client_pending()). */
typedef struct ferry_pending ferry_pending;

/** One unfinished upload. */
typedef struct ferry_pending_entry {
  uint32_t struct_size;     /**< sizeof the struct, set by its _INIT macro */
  const char* id;           /**< for ferry_client_forget() */
  const char* path;         /**< the file's absolute path; "" for a stream */
  const char* name;         /**< what the upload went by, or "" */
  const char* endpoint;     /**< redacted: no user info, query or fragment */
  const char* protocol;     /**< "tus", "ietf" or "s3" */
  uint64_t size;            /**< for a stream: the bytes read when last saved */
  uint64_t bytes_on_server; /**< the server had these when last saved */
  const char* expires;      /**< the server's expiry as it said it, or "" */
  int64_t created_unix;     /**< when the upload was created (Unix time) */
  /** 1: upload the same source again to continue (ferry_upload_file with
   * `path`). 0: a stream, which cannot be (source_not_resumable). */
  int32_t resumable;
  int32_t last_error_code;        /**< how it last ended, or 0 (killed) */
  const char* last_error_message; /**< that error's message, or "" */
} ferry_pending_entry;
/** Initializer for ferry_pending_entry. */
#define FERRY_PENDING_ENTRY_INIT \
  { sizeof(ferry_pending_entry), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Lists the unfinished uploads of this client (same protocol, endpoint and
 * bucket) in its state directory, oldest first; entries past the server's
 * expiry are removed, not listed. The caller frees the list. Errors:
 * invalid_argument (NULL arguments). Thread-safe. */
FERRY_API ferry_code ferry_client_pending(ferry_client* client,
                                          ferry_pending** pending_out,
                                          ferry_error** error_out);
/** The number of entries. */
FERRY_API uint32_t ferry_pending_count(const ferry_pending* pending);
/** Fills *entry with entry i (strings live as long as the list); 1 when i
 * exists, 0 otherwise. */
FERRY_API int32_t ferry_pending_get(const ferry_pending* pending, uint32_t i,
                                    ferry_pending_entry* entry);
/** The list as a JSON array (the fields above), as the CLI prints it. */
FERRY_API const char* ferry_pending_json(const ferry_pending* pending);
/** Frees a list; NULL is accepted. */
FERRY_API void ferry_pending_free(ferry_pending* pending);
/** Forgets the entry `id`: removes its resume state and, with
 * discard_on_server 1, first terminates (tus) or aborts (S3) the
 * server-side upload. Errors: invalid_argument (no such entry for this
 * client), state_unwritable, and the server's for the discard. */
FERRY_API ferry_code ferry_client_forget(ferry_client* client, const char* id,
                                         int32_t discard_on_server,
                                         ferry_error** error_out);

/* ---- Batches: many files at once --------------------------------------- */

/** Where a batch stands, over all its files. */
typedef struct ferry_batch_progress {
  uint32_t struct_size;  /**< sizeof the struct, set by its _INIT macro */
  uint64_t bytes_done;   /**< over all files; never decreases */
  uint64_t bytes_total;  /**< sizes of the files that could be opened */
  uint64_t wire_bytes;   /**< body bytes put on the wire so far */
  uint32_t files_total;  /**< files in the batch */
  uint32_t files_done;   /**< finished: uploaded or failed */
  uint32_t files_failed; /**< finished and failed */
  uint32_t files_active; /**< uploading now */
} ferry_batch_progress;

/** Batch progress callback; non-zero return cancels the batch. */
typedef int (*ferry_batch_progress_fn)(const ferry_batch_progress* progress,
                                       void* user_data);
/** One file's outcome as it ends: result on success, else error (the other
 * is NULL); both are valid only during the call. */
typedef void (*ferry_batch_file_fn)(uint32_t file_index,
                                    const ferry_result* result,
                                    const ferry_error* error, void* user_data);

/** Options of a batch. Start from FERRY_BATCH_OPTIONS_INIT. */
typedef struct ferry_batch_options {
  uint32_t struct_size; /**< sizeof the struct, set by its _INIT macro */
  /** Files uploading at once; 0: as many as the client's memory_budget
   * holds, at most 8 (so many small files run 8 wide, big ones narrower:
   * with the 64 MiB default, 4 tus uploads of files of 4 MiB or more, or
   * one S3 multipart upload). Fewer run while the budget is taken (one
   * always runs). */
  uint32_t concurrency;
  /** Extra Upload-Metadata pairs for every file. */
  const ferry_kv* metadata;
  uint32_t metadata_count; /**< entries in metadata */
  /** Aggregate progress: at most every ~100 ms and after each file; calls
   * never overlap. Non-zero return cancels the whole batch. */
  ferry_batch_progress_fn on_progress;
  void* progress_user_data; /**< passed to on_progress */
  /** Per-file events (event->file_index says which); calls never overlap.
   * Non-zero return cancels the whole batch. */
  ferry_event_fn on_event;
  void* event_user_data;     /**< passed to on_event */
  int32_t discard_on_cancel; /**< as in ferry_upload_options */
  int32_t on_change;         /**< ferry_on_change, for every file */
  /** Called as each file ends (calls never overlap). */
  ferry_batch_file_fn on_file_done;
  void* file_user_data; /**< passed to on_file_done */
  /** Since 0.1 (struct_size): NULL, or `count` names the uploads go by (the
   * tus filename, the S3 key), as ferry_source_set_name; NULL or "" in it:
   * the file's own name. Copied before the call returns. */
  const char* const* names;
  /** Since 0.1: as in ferry_upload_options, for every file (the guess
   * from each file's own name). */
  const ferry_kv* object_headers;
  uint32_t object_headers_count; /**< entries in object_headers */
  int32_t guess_content_type;    /**< as in ferry_upload_options */
} ferry_batch_options;

/** Initializer for ferry_batch_options. */
#define FERRY_BATCH_OPTIONS_INIT \
  { sizeof(ferry_batch_options), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** The outcomes of a batch, one per file. */
typedef struct ferry_batch ferry_batch;

/** Uploads `count` files, `concurrency` at a time on worker threads (the
 * calling thread is one of them), each as ferry_upload_file would (resume,
 * retries, typed errors), over the client's shared connections. Blocks
 * until every file has ended. Returns FERRY_OK when all were uploaded;
 * otherwise the code of the first failed file in `paths` order. Either
 * way *batch_out (when not NULL) gets one outcome per file, which the
 * caller frees. The batch is refused as a whole before any request with
 * too_many_files beyond the client's max_files_per_batch, and with
 * invalid_argument for a NULL path. Thread-safe. */
FERRY_API ferry_code ferry_upload_batch(ferry_client* client,
                                        const char* const* paths,
                                        uint32_t count,
                                        const ferry_batch_options* options,
                                        ferry_batch** batch_out);
/** Frees a batch's outcomes; NULL is accepted. A batch may be read and
 * freed on another thread than the one ferry_upload_batch ran on (the
 * functions below order themselves after it); reads may overlap, the free
 * must come after them. */
FERRY_API void ferry_batch_free(ferry_batch* batch);
/** The number of files (outcomes). */
FERRY_API uint32_t ferry_batch_count(const ferry_batch* batch);
/** File i's result, or NULL when it failed (then ferry_batch_error is set).
 * Both are owned by the batch. */
FERRY_API const ferry_result* ferry_batch_result(const ferry_batch* batch,
                                                 uint32_t i);
/** File i's error, or NULL when it was uploaded (owned by the batch). */
FERRY_API const ferry_error* ferry_batch_error(const ferry_batch* batch,
                                               uint32_t i);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FERRY_FERRY_H_ */
