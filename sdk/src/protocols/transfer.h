// SPDX-License-Identifier: Apache-2.0
// The one interface an upload session drives, whatever the wire protocol.
// A Transfer knows its protocol (requests, limits, how a resume is checked
// against the server, what a piece is); the session owns everything every
// protocol shares (the source, the journal, retries, events, progress,
// cancellation, credential refresh, the final report). Each method that
// talks to the server makes one attempt: the session decides whether and
// when to try again. Adding a protocol means adding a folder under
// protocols/ with a Transfer and a probe, and one line in protocols/registry.
#ifndef FERRY_SDK_SRC_PROTOCOLS_TRANSFER_H_
#define FERRY_SDK_SRC_PROTOCOLS_TRANSFER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "client/client_types.h"
#include "errors/error.h"
#include "journal/journal.h"
#include "session/session_env.h"
#include "source/source.h"

namespace ferry::internal {

// What the session lends a transfer for one upload. Everything here is
// owned by the session and outlives the transfer's use of it.
struct TransferContext {
  const ClientConfig* config = nullptr;
  const UploadParams* params = nullptr;
  // The source: positional reads; Fill and Release for streams.
  Source* source = nullptr;
  // What the journal entry's path is: the source's absolute path, or a
  // name unique to this upload for a source without a stable identity
  // (listed among pending uploads, never resumed).
  std::string source_key;
  const SessionEnv* env = nullptr;
  // Notifies the app (resumed details, created, per-part retries); false
  // once the upload is cancelled. Called on the session's thread only.
  std::function<bool(const Event&)> emit;
  // Called as request bodies go out: the session reports progress
  // (throttled). False once the upload is cancelled. Session thread only.
  std::function<bool()> tick;
  // Writes the record to the journal (durably unless asked not to).
  std::function<Status(const JournalRecord&, bool durable)> save;
  // Whether the upload was cancelled. Any thread.
  std::function<bool()> cancelled;
};

// What a transfer returns when it stops because the app cancelled (the
// session words the final error).
inline Error TransferCancelled() {
  return MakeError(FERRY_ERR_CANCELLED, "the upload was cancelled");
}

// Where an upload stands, in file (raw) and wire bytes.
struct TransferPosition {
  uint64_t raw_acked = 0;    // file bytes the server confirmed
  uint64_t raw_sending = 0;  // file bytes in requests not yet answered
  uint64_t wire_bytes = 0;   // body bytes sent in this run, re-sends included
  uint64_t offset = 0;       // the protocol's own position (retry events)
};

// The outcome of checking a saved upload against the server.
struct ResumeVerdict {
  bool resumed = false;
  // When not resumed: why the saved upload cannot be used. file_changed
  // ends the upload unless the app opted in to restarting.
  ferry_code why = FERRY_OK;
  std::string message;
  bool file_changed = false;
  // Whether the old server-side upload should be removed when a fresh one
  // replaces it (S3 aborts it; a tus upload that is gone needs nothing).
  bool discard_saved = false;
  // When resumed: the wire offset where sending continues, and what the
  // `resumed` event says.
  uint64_t offset = 0;
};

inline ResumeVerdict Resumed(uint64_t offset, std::string message) {
  ResumeVerdict v;
  v.resumed = true;
  v.offset = offset;
  v.message = std::move(message);
  return v;
}
inline ResumeVerdict Unusable(ferry_code why, std::string message,
                              bool file_changed = false) {
  ResumeVerdict v;
  v.why = why;
  v.message = std::move(message);
  v.file_changed = file_changed;
  return v;
}

// One step of sending.
struct SendStep {
  bool progressed = false;  // the server confirmed new bytes
  // The transfer changed how it sends (e.g. a server refused a chunked
  // body) and wants the server's position before the next step.
  bool resync = false;
};

class Transfer {
 public:
  virtual ~Transfer() = default;

  // Called once, before anything else.
  virtual void Attach(const TransferContext* context) = 0;

  // The server's capabilities (cached per client where the protocol has a
  // discovery request). One attempt.
  virtual Status Discover() = 0;
  // Refusals before a byte is sent: sizes, names, what the server announced.
  virtual Status Preflight() = 0;
  // When the protocol (or this server) cannot carry zstd frames: why, as
  // the compression_off event says it.
  virtual std::optional<std::string> CompressionUnsupported() const = 0;
  // The zstd level chosen by the session: 0 identity, -1 adaptive, 1..22.
  // Errors: invalid_argument (e.g. S3 parts that do not fit the budget).
  virtual Status SetCompression(int level) = 0;

  // What the journal entry is keyed on (with the source's absolute path).
  virtual std::string JournalKey() const = 0;

  // Resume. Local checks of a saved record before asking the server (it
  // belongs to this protocol, its options match, its origin is allowed);
  // nullopt when it is worth asking.
  virtual std::optional<ResumeVerdict> Screen(const JournalRecord& saved) = 0;
  // Asks the server what it holds of the saved upload. One attempt. A
  // verdict when the server no longer has it (404, 410, NoSuchUpload).
  virtual Result<std::optional<ResumeVerdict>> QueryServer(
      const JournalRecord& saved) = 0;
  // Checks what the server holds against the record and the local bytes,
  // and adopts the record when they agree.
  virtual Result<ResumeVerdict> Adopt(const JournalRecord& saved) = 0;

  // A fresh upload: a new record (and hashing when the server wants the
  // SHA-256 announced), then the creation request (one attempt).
  virtual Status PrepareFresh() = 0;
  virtual Status Create() = 0;
  // After a successful Create: what the `created` event says.
  virtual std::string CreatedMessage() const = 0;

  // Whether every byte is acknowledged.
  virtual bool AllSent() const = 0;
  // Sends the next piece (one request, or a window of parallel parts).
  virtual Result<SendStep> SendNext() = 0;
  // Whether SendNext's failures were already retried piece by piece (the
  // session then retries only credentials and restarts).
  virtual bool RetriesPieces() const = 0;
  // After a failed send: asks the server where it stands. One attempt.
  virtual Status Resync() = 0;
  // Whether `error` from SendNext is cured by a fresh upload.
  virtual bool RestartCures(const Error& error) const = 0;

  // Makes the uploaded object whole (S3 Complete; nothing for tus). One
  // attempt. Then the result.
  virtual Status Complete() = 0;
  virtual Result<UploadSummary> Summarize() = 0;
  // Removes the server-side upload (tus DELETE, S3 abort). Best effort.
  virtual Status Discard() = 0;

  // New credentials for every later request of this client.
  virtual void UseCredentials(const FreshCredentials& fresh) = 0;

  virtual TransferPosition Position() const = 0;
  // Whether a server-side upload exists (something to discard).
  virtual bool HasUpload() const = 0;
};

}  // namespace ferry::internal

#endif  // FERRY_SDK_SRC_PROTOCOLS_TRANSFER_H_
