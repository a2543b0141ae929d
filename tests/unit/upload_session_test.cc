// SPDX-License-Identifier: Apache-2.0
// The upload session against a scripted fake Transfer, with a fake clock:
// resume decisions, retries and their budgets, Retry-After floors,
// credential refresh, restarts, cancellation and file changes in every
// phase. No network, no real sleeping: each test runs in milliseconds. The
// real transfers are tested against real servers (tests/integration,
// tests/python, tests/s3).
#include "session/upload_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "source/file_source.h"

namespace ferry::internal {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kPiece = 1000;

// A clock that moves only when the session waits.
struct FakeClock {
  int64_t now = 1000000;
  std::vector<int64_t> waits;  // every sleep asked for
  SessionEnv Env() {
    SessionEnv env;
    env.now_ms = [this] { return now; };
    env.sleep_ms = [this](int64_t ms) {
      waits.push_back(ms);
      now += ms;
    };
    env.seed = [] { return uint64_t{42}; };
    return env;
  }
  int64_t TotalWaited() const {
    int64_t sum = 0;
    for (int64_t w : waits) sum += w;
    return sum;
  }
};

Error Retryable(ferry_code code, int64_t retry_after_ms = -1) {
  Error e = MakeError(code, std::string(CodeName(code)) + " (scripted)");
  e.retryable = true;
  e.retry_after_ms = retry_after_ms;
  return e;
}

// Sends kPiece bytes per SendNext unless a scripted outcome is queued; every
// method logs its name and can run a hook first (to cancel, or to change
// the file, in that phase).
class FakeTransfer : public Transfer {
 public:
  std::vector<std::string> log;
  std::map<std::string, std::function<void()>> hooks;
  std::deque<Status> discover_outcomes, create_outcomes, complete_outcomes,
      resync_outcomes;
  std::deque<Result<SendStep>> send_outcomes;
  std::optional<ResumeVerdict> screen_verdict;
  std::deque<Result<std::optional<ResumeVerdict>>> query_outcomes;
  std::optional<ResumeVerdict> adopt_verdict;  // nullopt: resume at server_at
  uint64_t server_at = 0;  // what the server holds on resume
  uint64_t resync_to = 0;  // where Resync finds the server
  bool retries_pieces = false;
  std::vector<FreshCredentials> credentials;
  uint64_t acked = 0;
  bool created = false;
  const TransferContext* ctx = nullptr;

  void Attach(const TransferContext* c) override { ctx = c; }
  Status Discover() override { return Step("discover", &discover_outcomes); }
  Status Preflight() override { return Note("preflight"); }
  std::optional<std::string> CompressionUnsupported() const override {
    return std::nullopt;
  }
  Status SetCompression(int) override { return OkStatus(); }
  std::string JournalKey() const override { return "fake-key"; }
  std::optional<ResumeVerdict> Screen(const JournalRecord&) override {
    (void)Note("screen");
    return screen_verdict;
  }
  Result<std::optional<ResumeVerdict>> QueryServer(
      const JournalRecord&) override {
    (void)Note("query");
    if (query_outcomes.empty()) return std::optional<ResumeVerdict>();
    auto r = query_outcomes.front();
    query_outcomes.pop_front();
    return r;
  }
  Result<ResumeVerdict> Adopt(const JournalRecord&) override {
    (void)Note("adopt");
    if (adopt_verdict) return *adopt_verdict;
    acked = server_at;
    created = true;
    return Resumed(server_at, "resumed (fake)");
  }
  Status PrepareFresh() override {
    acked = 0;
    return Note("prepare");
  }
  Status Create() override {
    Status s = Step("create", &create_outcomes);
    if (!s.ok()) return s;
    created = true;
    record_.protocol = "fake";
    record_.endpoint = JournalKey();
    record_.path = ctx->source_key;
    record_.identity = ctx->source->identity();
    record_.chunk_size = 1 << 20;
    record_.upload_url = "https://fake/upload";
    return ctx->save(record_, true);
  }
  std::string CreatedMessage() const override { return "created (fake)"; }
  bool AllSent() const override {
    return created && acked >= ctx->source->size();
  }
  Result<SendStep> SendNext() override {
    Status noted = Note("send");
    if (!noted.ok()) return noted.error();
    if (!send_outcomes.empty()) {
      auto r = send_outcomes.front();
      send_outcomes.pop_front();
      if (!r.ok() || !r.value().progressed) return r;
    }
    if (!ctx->tick()) return TransferCancelled();
    acked = std::min(ctx->source->size(), acked + kPiece);
    SendStep step;
    step.progressed = true;
    return step;
  }
  bool RetriesPieces() const override { return retries_pieces; }
  Status Resync() override {
    Status s = Step("resync", &resync_outcomes);
    if (s.ok()) acked = resync_to;
    return s;
  }
  bool RestartCures(const Error& error) const override {
    return error.code == FERRY_ERR_UPLOAD_EXPIRED;
  }
  Status Complete() override { return Step("complete", &complete_outcomes); }
  Result<UploadSummary> Summarize() override {
    (void)Note("summarize");
    UploadSummary s;
    s.url = "https://fake/upload";
    s.sha256_hex = "00";
    return s;
  }
  Status Discard() override {
    created = false;
    return Note("discard");
  }
  void UseCredentials(const FreshCredentials& fresh) override {
    credentials.push_back(fresh);
  }
  TransferPosition Position() const override {
    TransferPosition p;
    p.raw_acked = acked;
    p.offset = acked;
    p.wire_bytes = acked;
    return p;
  }
  bool HasUpload() const override { return created; }

  int Count(const std::string& name) const {
    return static_cast<int>(std::count(log.begin(), log.end(), name));
  }

 private:
  Status Note(const std::string& name) {
    log.push_back(name);
    if (auto it = hooks.find(name); it != hooks.end()) it->second();
    return OkStatus();
  }
  Status Step(const std::string& name, std::deque<Status>* outcomes) {
    (void)Note(name);
    if (outcomes->empty()) return OkStatus();
    Status s = outcomes->front();
    outcomes->pop_front();
    return s;
  }
  JournalRecord record_;
};

class UploadSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ferry-session-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    file_ = (dir_ / "source.bin").string();
    WriteFile(5 * kPiece + 7);
    config_.state_dir = (dir_ / "state").string();
    config_.compress_level = 0;
    config_.retry.max_retries = 4;
    config_.retry.base_delay_ms = 100;
    config_.retry.max_delay_ms = 1000;
    config_.retry.deadline_ms = 60000;
    journal_ = std::make_unique<Journal>(config_.state_dir);
    params_.on_event = [this](const Event& e) {
      events_.push_back(e);
      return !cancel_;
    };
    params_.on_progress = [this](const Progress& p) {
      progress_.push_back(p);
      return !cancel_;
    };
    auto fake = std::make_unique<FakeTransfer>();
    fake_ = fake.get();
    transfer_ = std::move(fake);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteFile(uint64_t size, char fill = 'a') {
    std::ofstream(file_, std::ios::binary | std::ios::trunc)
        << std::string(size, fill);
  }
  // A journal entry for the source as it is now.
  void SaveEntry() {
    auto source = FileSource::Open(file_);
    ASSERT_TRUE(source.ok());
    JournalRecord r;
    r.protocol = "fake";
    r.endpoint = "fake-key";
    r.path = source.value()->absolute_path();
    r.identity = source.value()->identity();
    r.chunk_size = 1 << 20;
    r.upload_url = "https://fake/upload";
    ASSERT_TRUE(journal_->Save(r).ok());
  }
  bool EntryExists() {
    auto source = FileSource::Open(file_);
    return journal_->Load("fake-key", source.value()->absolute_path()).state ==
           Journal::LoadState::kLoaded;
  }
  Result<UploadSummary> Run() {
    auto source = FileSource::Open(file_);
    if (!source.ok()) return source.error();
    session_ = std::make_unique<UploadSession>(config_, *journal_, params_,
                                               std::move(transfer_),
                                               clock_.Env(), control_);
    return session_->Run(std::move(source.value()));
  }
  std::vector<Event> EventsOf(ferry_event_type type) const {
    std::vector<Event> out;
    for (const Event& e : events_) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

  fs::path dir_;
  std::string file_;
  ClientConfig config_;
  std::unique_ptr<Journal> journal_;
  UploadParams params_;
  FakeClock clock_;
  FakeTransfer* fake_ = nullptr;
  std::unique_ptr<Transfer> transfer_;
  std::unique_ptr<UploadSession> session_;
  std::shared_ptr<UploadControl> control_ = std::make_shared<UploadControl>();
  std::vector<Event> events_;
  std::vector<Progress> progress_;
  bool cancel_ = false;
};

TEST_F(UploadSessionTest, FreshUploadGoesThroughThePhasesInOrder) {
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().bytes, 5 * kPiece + 7);
  EXPECT_EQ(r.value().resumed_from, 0u);
  std::vector<std::string> want = {
      "discover", "preflight", "prepare", "create", "send",     "send",
      "send",     "send",      "send",    "send",   "complete", "summarize"};
  EXPECT_EQ(fake_->log, want);
  EXPECT_EQ(session_->phase(), Phase::kDone);
  EXPECT_EQ(EventsOf(FERRY_EVENT_CREATED).size(), 1u);
  EXPECT_FALSE(EntryExists()) << "the journal entry outlived the upload";
  // Progress never goes back and ends at the total.
  for (size_t i = 1; i < progress_.size(); ++i) {
    EXPECT_GE(progress_[i].bytes_done, progress_[i - 1].bytes_done);
  }
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back().bytes_done, 5 * kPiece + 7);
  EXPECT_TRUE(clock_.waits.empty());
}

TEST_F(UploadSessionTest, ResumesWhereTheServerIsAheadOfTheJournal) {
  SaveEntry();
  fake_->server_at = 4 * kPiece;  // the journal knew less than this
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().resumed_from, 4 * kPiece);
  EXPECT_EQ(fake_->Count("create"), 0);
  EXPECT_EQ(fake_->Count("send"), 2);  // 1000 then 7 bytes
  auto resumed = EventsOf(FERRY_EVENT_RESUMED);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].offset, 4 * kPiece);
}

TEST_F(UploadSessionTest, ResumesWhereTheServerIsBehindTheJournal) {
  SaveEntry();
  fake_->server_at = kPiece;
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().resumed_from, kPiece);
  EXPECT_EQ(fake_->Count("send"), 5);
}

TEST_F(UploadSessionTest, ResumeWithEverythingOnTheServerOnlyCompletes) {
  SaveEntry();
  fake_->server_at = 5 * kPiece + 7;
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("send"), 0);
  EXPECT_EQ(fake_->Count("complete"), 1);
  EXPECT_FALSE(EntryExists());
}

TEST_F(UploadSessionTest, AVanishedUploadStartsOverAndSaysWhy) {
  SaveEntry();
  fake_->query_outcomes.push_back(std::optional<ResumeVerdict>(
      Unusable(FERRY_ERR_UPLOAD_EXPIRED, "gone (HTTP 404)")));
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto restarted = EventsOf(FERRY_EVENT_RESTARTED);
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0].code, FERRY_ERR_UPLOAD_EXPIRED);
  EXPECT_EQ(fake_->Count("adopt"), 0);
  EXPECT_EQ(fake_->Count("create"), 1);
  EXPECT_EQ(r.value().resumed_from, 0u);
}

TEST_F(UploadSessionTest, AnExpiredUploadIsNotEvenAskedFor) {
  SaveEntry();
  fake_->screen_verdict = Unusable(FERRY_ERR_UPLOAD_EXPIRED, "expired");
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("query"), 0);
  EXPECT_EQ(fake_->Count("create"), 1);
}

TEST_F(UploadSessionTest, TheServerQueryIsRetriedBeforeResuming) {
  SaveEntry();
  fake_->server_at = 2 * kPiece;
  fake_->query_outcomes.push_back(Retryable(FERRY_ERR_SERVER_UNAVAILABLE));
  fake_->query_outcomes.push_back(Retryable(FERRY_ERR_SERVER_UNAVAILABLE));
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("query"), 3);
  EXPECT_EQ(fake_->Count("create"), 0) << "a 5xx on resume must not start "
                                          "a new upload";
  EXPECT_EQ(r.value().resumed_from, 2 * kPiece);
}

TEST_F(UploadSessionTest, AnOffsetMismatchAsksTheServerAndContinues) {
  fake_->send_outcomes.push_back(SendStep{true, false});  // 1000 acked
  fake_->send_outcomes.push_back(Retryable(FERRY_ERR_OFFSET_MISMATCH));
  fake_->resync_to = 3 * kPiece;  // the server had more than we knew
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("resync"), 1);
  // After the resync at 3000: 4000, 5000, 5007.
  EXPECT_EQ(fake_->Count("send"), 2 + 3);
  auto retries = EventsOf(FERRY_EVENT_RETRY);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].code, FERRY_ERR_OFFSET_MISMATCH);
  EXPECT_EQ(retries[0].offset, kPiece) << "retry events carry the offset";
}

TEST_F(UploadSessionTest, RetriesStopWhenTheBudgetIsSpent) {
  for (int i = 0; i < 20; ++i) {
    fake_->send_outcomes.push_back(Retryable(FERRY_ERR_SERVER_ERROR));
  }
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_SERVER_ERROR);
  EXPECT_EQ(fake_->Count("send"), 5);  // 1 + max_retries
  EXPECT_EQ(clock_.waits.empty(), false);
  auto retries = EventsOf(FERRY_EVENT_RETRY);
  ASSERT_EQ(retries.size(), 4u);
  for (size_t i = 0; i < retries.size(); ++i) {
    EXPECT_EQ(retries[i].attempt, i + 1);
    // Full jitter: at most base * 2^(attempt-1), capped.
    EXPECT_LE(retries[i].delay_ms, std::min<uint64_t>(1000, 100u << i));
  }
  EXPECT_EQ(session_->phase(), Phase::kFailed);
  EXPECT_TRUE(EntryExists()) << "a failed upload keeps its resume state";
}

TEST_F(UploadSessionTest, ProgressResetsTheRetryBudget) {
  // Four failures, progress, four more: never five in a row.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 4; ++i) {
      fake_->send_outcomes.push_back(Retryable(FERRY_ERR_CONNECTION_RESET));
    }
    fake_->send_outcomes.push_back(SendStep{true, false});
  }
  fake_->resync_to = 0;
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(EventsOf(FERRY_EVENT_RETRY).size(), 8u);
}

TEST_F(UploadSessionTest, RetryAfterIsAFloorOnTheWait) {
  fake_->send_outcomes.push_back(Retryable(FERRY_ERR_RATE_LIMITED, 7000));
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto retries = EventsOf(FERRY_EVENT_RETRY);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].delay_ms, 7000u);
  EXPECT_GE(clock_.TotalWaited(), 7000);
  for (int64_t w : clock_.waits) EXPECT_LE(w, 100) << "waits are sliced";
}

TEST_F(UploadSessionTest, ADeadlineEndsRetriesEvenWithAttemptsLeft) {
  config_.retry.max_retries = 100;
  config_.retry.deadline_ms = 20000;
  for (int i = 0; i < 100; ++i) {
    fake_->send_outcomes.push_back(Retryable(FERRY_ERR_RATE_LIMITED, 6000));
  }
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_RATE_LIMITED);
  // 6 s floors: the fourth wait would pass 20 s.
  EXPECT_EQ(EventsOf(FERRY_EVENT_RETRY).size(), 3u);
}

TEST_F(UploadSessionTest, ANonRetryableRefusalEndsAtOnce) {
  fake_->create_outcomes.push_back(
      MakeError(FERRY_ERR_FILE_TOO_LARGE, "too large (scripted)"));
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_FILE_TOO_LARGE);
  EXPECT_EQ(fake_->Count("create"), 1);
  EXPECT_TRUE(clock_.waits.empty());
}

TEST_F(UploadSessionTest, ExpiredCredentialsAreRefreshedAndTheUploadGoesOn) {
  int asked = 0;
  config_.refresh_credentials = [&](const Error& why, FreshCredentials* out) {
    ++asked;
    EXPECT_EQ(why.code, FERRY_ERR_CREDENTIALS_EXPIRED);
    out->headers.emplace_back("Authorization", "Bearer fresh");
    return true;
  };
  fake_->send_outcomes.push_back(SendStep{true, false});
  fake_->send_outcomes.push_back(
      MakeError(FERRY_ERR_CREDENTIALS_EXPIRED, "expired (scripted)"));
  fake_->resync_to = kPiece;
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(asked, 1);
  ASSERT_EQ(fake_->credentials.size(), 1u);
  EXPECT_EQ(fake_->credentials[0].headers[0].second, "Bearer fresh");
  EXPECT_EQ(fake_->Count("create"), 1) << "continued, not restarted";
  EXPECT_TRUE(clock_.waits.empty()) << "a refresh needs no backoff";
}

TEST_F(UploadSessionTest, RefreshedKeysReachATransferThatRetriesPieces) {
  fake_->retries_pieces = true;
  config_.refresh_credentials = [&](const Error&, FreshCredentials* out) {
    S3Credentials keys;
    keys.access_key_id = "NEWKEY";
    keys.secret_access_key = "newsecret";
    out->s3 = keys;
    return true;
  };
  fake_->send_outcomes.push_back(
      MakeError(FERRY_ERR_UNAUTHENTICATED, "InvalidAccessKeyId (scripted)"));
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(fake_->credentials.size(), 1u);
  EXPECT_EQ(fake_->credentials[0].s3->access_key_id, "NEWKEY");
  EXPECT_EQ(fake_->Count("resync"), 0);
}

TEST_F(UploadSessionTest, PieceFailuresAreNotRetriedTwice) {
  fake_->retries_pieces = true;
  fake_->send_outcomes.push_back(Retryable(FERRY_ERR_SERVER_ERROR));
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fake_->Count("send"), 1);
  EXPECT_TRUE(EventsOf(FERRY_EVENT_RETRY).empty());
}

TEST_F(UploadSessionTest, WithoutARefreshHookExpiredCredentialsEndTheUpload) {
  fake_->send_outcomes.push_back(
      MakeError(FERRY_ERR_CREDENTIALS_EXPIRED, "expired (scripted)"));
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_CREDENTIALS_EXPIRED);
}

TEST_F(UploadSessionTest, RefreshesInARowWithoutProgressAreBounded) {
  int asked = 0;
  config_.refresh_credentials = [&](const Error&, FreshCredentials* out) {
    ++asked;
    out->headers.emplace_back("Authorization", "Bearer still-bad");
    return true;
  };
  for (int i = 0; i < 10; ++i) {
    fake_->send_outcomes.push_back(
        MakeError(FERRY_ERR_UNAUTHENTICATED, "refused (scripted)"));
  }
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_UNAUTHENTICATED);
  EXPECT_EQ(asked, 3);
}

TEST_F(UploadSessionTest, ALostUploadMidSendIsReplacedOnce) {
  fake_->send_outcomes.push_back(SendStep{true, false});
  fake_->send_outcomes.push_back(MakeError(FERRY_ERR_UPLOAD_EXPIRED, "404"));
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("create"), 2);
  EXPECT_EQ(fake_->Count("discard"), 1);
  EXPECT_EQ(EventsOf(FERRY_EVENT_RESTARTED).size(), 1u);
}

TEST_F(UploadSessionTest, ASecondLossIsAnError) {
  fake_->send_outcomes.push_back(MakeError(FERRY_ERR_UPLOAD_EXPIRED, "404"));
  fake_->send_outcomes.push_back(MakeError(FERRY_ERR_UPLOAD_EXPIRED, "404"));
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_UPLOAD_EXPIRED);
  EXPECT_EQ(fake_->Count("create"), 2);
}

TEST_F(UploadSessionTest, AFailedJournalRemovalDoesNotFailACompleteUpload) {
  fake_->hooks["summarize"] = [&] {
    // The state directory became something that cannot hold entries.
    fs::rename(config_.state_dir, dir_ / "moved");
    std::ofstream(config_.state_dir) << "not a directory";
  };
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto said = EventsOf(FERRY_EVENT_STATE_DISCARDED);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].code, FERRY_ERR_STATE_UNWRITABLE);
}

// The method of the fake that runs in each phase.
const std::map<Phase, std::string> kPhaseMethod = {
    {Phase::kOpening, "discover"},
    {Phase::kResuming, "adopt"},
    {Phase::kCreating, "create"},
    {Phase::kSending, "send"},
};

class PhaseTest : public UploadSessionTest,
                  public ::testing::WithParamInterface<Phase> {};

TEST_P(PhaseTest, ACancelEndsTheUploadAndKeepsItsState) {
  Phase phase = GetParam();
  if (phase == Phase::kResuming) {
    SaveEntry();
    fake_->server_at = kPiece;
  }
  fake_->hooks[kPhaseMethod.at(phase)] = [&] {
    EXPECT_EQ(session_->phase(), phase);
    cancel_ = true;
  };
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok()) << "phase " << PhaseName(phase);
  EXPECT_EQ(r.error().code, FERRY_ERR_CANCELLED);
  EXPECT_EQ(fake_->Count("discard"), 0);
  EXPECT_EQ(fake_->Count("summarize"), 0);
  EXPECT_TRUE(clock_.waits.empty());
}

TEST_P(PhaseTest, ACancelWithDiscardRemovesWhatExists) {
  Phase phase = GetParam();
  params_.discard_on_cancel = true;
  if (phase == Phase::kResuming) {
    SaveEntry();
    fake_->server_at = kPiece;
  }
  fake_->hooks[kPhaseMethod.at(phase)] = [&] { cancel_ = true; };
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_CANCELLED);
  // Something exists on the server from creation (or adoption) on.
  bool exists = phase != Phase::kOpening;
  EXPECT_EQ(fake_->Count("discard"), exists ? 1 : 0)
      << "phase " << PhaseName(phase);
  EXPECT_FALSE(EntryExists());
}

TEST_P(PhaseTest, AFileChangedInAnyPhaseIsNeverUploadedAsDone) {
  Phase phase = GetParam();
  if (phase == Phase::kResuming) {
    SaveEntry();
    fake_->server_at = kPiece;
  }
  fake_->hooks[kPhaseMethod.at(phase)] = [&] { WriteFile(5 * kPiece + 9); };
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok()) << "phase " << PhaseName(phase);
  EXPECT_EQ(r.error().code, FERRY_ERR_FILE_CHANGED);
}

// Finishing is left out: once the object is complete on the server, a
// cancel or a change comes too late to matter (the source was checked
// unchanged, and every byte verified, before completion).
INSTANTIATE_TEST_SUITE_P(EveryPhase, PhaseTest,
                         ::testing::Values(Phase::kOpening, Phase::kResuming,
                                           Phase::kCreating, Phase::kSending),
                         [](const auto& info) {
                           return std::string(PhaseName(info.param));
                         });

TEST_F(UploadSessionTest,
       AFileChangedAfterTheLastByteIsCaughtBeforeCompletion) {
  fake_->hooks["send"] = [&] {
    if (fake_->acked + kPiece >= 5 * kPiece + 7) WriteFile(5 * kPiece + 9);
  };
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_FILE_CHANGED);
  EXPECT_EQ(fake_->Count("complete"), 0) << "never complete a changed file";
}

TEST_F(UploadSessionTest, AFileChangedBeforeResumingFailsUnlessAskedToRestart) {
  SaveEntry();
  WriteFile(5 * kPiece + 9);
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_FILE_CHANGED);
  EXPECT_EQ(fake_->Count("query"), 0);
  EXPECT_TRUE(EntryExists());
}

TEST_F(UploadSessionTest, AFileChangedBeforeResumingRestartsWhenAsked) {
  SaveEntry();
  WriteFile(5 * kPiece + 9);
  params_.restart_on_change = true;
  Result<UploadSummary> r = Run();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().bytes, 5 * kPiece + 9);
  auto restarted = EventsOf(FERRY_EVENT_RESTARTED);
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0].code, FERRY_ERR_FILE_CHANGED);
}

// Runs the session on a thread of its own (the app's handle does), so the
// test can steer it like an app.
class SteeredSession {
 public:
  explicit SteeredSession(std::function<Result<UploadSummary>()> run)
      : thread_([this, run] { result_ = run(); }) {}
  ~SteeredSession() {
    if (thread_.joinable()) thread_.join();
  }
  Result<UploadSummary> Join() {
    thread_.join();
    return *result_;
  }

 private:
  std::optional<Result<UploadSummary>> result_;
  std::thread thread_;
};

bool WaitForPhase(const UploadControl& control, Phase phase) {
  for (int i = 0; i < 5000; ++i) {
    if (control.status().phase == phase) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST_F(UploadSessionTest, APauseStopsSendingUntilResumedThenAsksTheServer) {
  int sends = 0;
  fake_->hooks["send"] = [&] {
    if (++sends == 2) control_->Pause();
  };
  fake_->resync_to = kPiece;  // the server kept the first piece
  SteeredSession run([this] { return Run(); });
  ASSERT_TRUE(WaitForPhase(*control_, Phase::kPaused));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sends, 2) << "a paused upload sent again";
  EXPECT_EQ(fake_->Count("resync"), 0);
  control_->Resume();
  Result<UploadSummary> r = run.Join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fake_->Count("resync"), 1);  // where the server stands
  EXPECT_EQ(EventsOf(FERRY_EVENT_PAUSED).size(), 1u);
  ASSERT_EQ(EventsOf(FERRY_EVENT_UNPAUSED).size(), 1u);
  EXPECT_EQ(EventsOf(FERRY_EVENT_UNPAUSED)[0].offset, kPiece);
  // A pause is not a failure: no retry, no wait, no budget spent.
  EXPECT_TRUE(EventsOf(FERRY_EVENT_RETRY).empty());
  EXPECT_TRUE(clock_.waits.empty());
  EXPECT_EQ(control_->status().phase, Phase::kDone);
}

TEST_F(UploadSessionTest, CancellingAPausedUploadEndsItCancelledWithState) {
  fake_->hooks["send"] = [&] { control_->Pause(); };
  SteeredSession run([this] { return Run(); });
  ASSERT_TRUE(WaitForPhase(*control_, Phase::kPaused));
  control_->Cancel(/*discard=*/false);
  Result<UploadSummary> r = run.Join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_CANCELLED);
  EXPECT_EQ(control_->status().phase, Phase::kFailed);
  ASSERT_TRUE(control_->status().last_error);
  EXPECT_EQ(control_->status().last_error->code, FERRY_ERR_CANCELLED);
  EXPECT_TRUE(EntryExists());
  EXPECT_EQ(fake_->Count("discard"), 0);
}

TEST_F(UploadSessionTest, ACancelWithDiscardFromTheHandleRemovesTheUpload) {
  fake_->hooks["send"] = [&] { control_->Cancel(/*discard=*/true); };
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, FERRY_ERR_CANCELLED);
  EXPECT_EQ(fake_->Count("discard"), 1);
  EXPECT_FALSE(EntryExists());
}

TEST_F(UploadSessionTest, APauseAskedWhileCreatingWaitsForSending) {
  fake_->hooks["create"] = [&] { control_->Pause(); };
  SteeredSession run([this] { return Run(); });
  ASSERT_TRUE(WaitForPhase(*control_, Phase::kPaused));
  EXPECT_EQ(fake_->Count("create"), 1);  // the creation was not cut short
  EXPECT_EQ(fake_->Count("send"), 0);
  control_->Resume();
  Result<UploadSummary> r = run.Join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(EventsOf(FERRY_EVENT_CREATED).size(), 1u);
}

TEST_F(UploadSessionTest, AFailedUploadNotesItsErrorInTheJournalEntry) {
  for (int i = 0; i < 10; ++i) {
    fake_->send_outcomes.push_back(Retryable(FERRY_ERR_SERVER_ERROR));
  }
  Result<UploadSummary> r = Run();
  ASSERT_FALSE(r.ok());
  auto source = FileSource::Open(file_);
  Journal::Loaded loaded =
      journal_->Load("fake-key", source.value()->absolute_path());
  ASSERT_EQ(loaded.state, Journal::LoadState::kLoaded);
  EXPECT_EQ(loaded.record.last_error_code, FERRY_ERR_SERVER_ERROR);
  EXPECT_EQ(loaded.record.name, "source.bin");
  EXPECT_FALSE(loaded.record.stream);
}

}  // namespace
}  // namespace ferry::internal
