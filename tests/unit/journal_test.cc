// SPDX-License-Identifier: Apache-2.0
#include "journal/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "codec/hash.h"

namespace ferry::internal {
namespace {

// A record's payload, and a function that seals an edited payload again
// with a valid header (so only the edit is judged).
struct Sealed {
  std::string payload;
  std::string magic;
  std::string Seal(const std::string& p) const {
    return magic + HexEncode(Sha256(p)) + " " + std::to_string(p.size()) +
           "\n" + p;
  }
};

Sealed Unseal(const std::string& encoded) {
  Sealed out;
  out.payload = encoded.substr(encoded.find('\n') + 1);
  std::string header = encoded.substr(0, encoded.find('\n'));
  out.magic = header.substr(
      0, header.size() - 64 - 1 - std::to_string(out.payload.size()).size());
  return out;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-journal-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state/nested";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static JournalRecord Sample() {
    JournalRecord r;
    r.endpoint = "http://127.0.0.1:1080/files/";
    r.path = "/data/video.mp4";
    r.identity = {7, 1234, 10, 1700000000123456789};
    r.upload_url = "http://127.0.0.1:1080/files/abc?token=secret";
    r.chunk_size = 4;
    r.chunk_digests = {ChunkDigest(ChunkHash::kXxh3_128, "aaaa"),
                       ChunkDigest(ChunkHash::kXxh3_128, "bbbb"),
                       ChunkDigest(ChunkHash::kXxh3_128, "cc")};
    r.file_sha256 = Sha256("aaaabbbbcc");
    r.expires = "Wed, 25 Jun 2031 16:00:00 GMT";
    r.created_unix = 1700000000;
    return r;
  }

  std::string root_, dir_;
};

TEST_F(JournalTest, RoundTripWithPrivateModes) {
  Journal j(dir_);
  JournalRecord r = Sample();
  ASSERT_TRUE(j.Save(r).ok());
  Journal::Loaded l = j.Load(r.endpoint, r.path);
  ASSERT_EQ(l.state, Journal::LoadState::kLoaded) << l.problem;
  EXPECT_EQ(l.record.upload_url, r.upload_url);
  EXPECT_EQ(l.record.identity, r.identity);
  EXPECT_EQ(l.record.chunk_digests, r.chunk_digests);
  EXPECT_EQ(l.record.file_sha256, r.file_sha256);
  EXPECT_EQ(l.record.expires, r.expires);

  struct stat st;
  ASSERT_EQ(stat(j.EntryPath(r.endpoint, r.path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Named by a hash: neither the path nor the URL shows in the file name.
  std::string name = j.EntryPath(r.endpoint, r.path);
  EXPECT_EQ(name.find("video"), std::string::npos);
  // No temp files are left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(JournalTest, MissingAndRemove) {
  Journal j(dir_);
  EXPECT_EQ(j.Load("http://x/", "/nope").state, Journal::LoadState::kMissing);
  JournalRecord r = Sample();
  ASSERT_TRUE(j.Save(r).ok());
  ASSERT_TRUE(j.Remove(r.endpoint, r.path).ok());
  EXPECT_EQ(j.Load(r.endpoint, r.path).state, Journal::LoadState::kMissing);
  EXPECT_TRUE(j.Remove(r.endpoint, r.path).ok());  // idempotent
}

TEST_F(JournalTest, DistinctKeysDoNotCollide) {
  Journal j(dir_);
  EXPECT_NE(j.EntryPath("http://a/", "b/c"), j.EntryPath("http://a/b", "/c"));
  EXPECT_NE(j.EntryPath("http://a/", "/x"), j.EntryPath("http://b/", "/x"));
}

TEST_F(JournalTest, EveryTruncationIsDetected) {
  std::string encoded = Sample().Encode();
  for (size_t len = 0; len < encoded.size(); ++len) {
    EXPECT_FALSE(JournalRecord::Decode(encoded.substr(0, len)).ok()) << len;
  }
  EXPECT_TRUE(JournalRecord::Decode(encoded).ok());
}

TEST_F(JournalTest, EveryBitFlipIsDetected) {
  std::string encoded = Sample().Encode();
  for (size_t i = 0; i < encoded.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = encoded;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ASSERT_FALSE(JournalRecord::Decode(bad).ok()) << i << ":" << bit;
    }
  }
}

TEST_F(JournalTest, TornFileOnDiskIsReportedCorruptNotTrusted) {
  Journal j(dir_);
  JournalRecord r = Sample();
  ASSERT_TRUE(j.Save(r).ok());
  std::string path = j.EntryPath(r.endpoint, r.path);
  std::string encoded = r.Encode();
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << encoded.substr(0, encoded.size() / 2);
  }
  Journal::Loaded l = j.Load(r.endpoint, r.path);
  EXPECT_EQ(l.state, Journal::LoadState::kCorrupt);
  EXPECT_FALSE(l.problem.empty());
}

TEST_F(JournalTest, FingerprintsNeverOutnumberTheChunks) {
  // Fingerprints are recorded as chunks are first read: fewer is normal.
  JournalRecord r = Sample();
  r.chunk_digests.pop_back();
  EXPECT_TRUE(JournalRecord::Decode(r.Encode()).ok());
  r = Sample();
  r.chunk_digests.push_back(r.chunk_digests.back());
  EXPECT_FALSE(JournalRecord::Decode(r.Encode()).ok());
}

TEST_F(JournalTest, NumbersAreReadStrictly) {
  // A record with a valid checksum but a float, a negative or an oversized
  // number where an integer belongs is refused, never converted.
  Sealed sealed = Unseal(Sample().Encode());
  const std::string& payload = sealed.payload;
  auto reseal = [&](const std::string& p) { return sealed.Seal(p); };
  ASSERT_TRUE(JournalRecord::Decode(reseal(payload)).ok());
  for (std::string field :
       {"\"chunk_size\":", "\"created_unix\":", "\"inode\":"}) {
    for (const char* bad : {"1e300", "-1", "2.5", "18446744073709551616"}) {
      if (field == "\"created_unix\":" && std::string(bad) == "-1") continue;
      std::string p = payload;
      size_t at = p.find(field) + field.size();
      size_t end = p.find_first_of(",}", at);
      p.replace(at, end - at, bad);
      EXPECT_FALSE(JournalRecord::Decode(reseal(p)).ok()) << field << bad;
    }
  }
}

TEST_F(JournalTest, VersionOneRecordsWithSha256ChunksStillResume) {
  // ferry 0.1 wrote version 1: SHA-256 chunk digests under chunk_sha256.
  JournalRecord r = Sample();
  r.chunk_hash = ChunkHash::kSha256;
  r.chunk_digests = {Sha256("aaaa"), Sha256("bbbb"), Sha256("cc")};
  Sealed sealed = Unseal(r.Encode());
  const std::string& payload = sealed.payload;
  auto reseal = [&](const std::string& p) { return sealed.Seal(p); };
  auto swap = [](std::string p, const std::string& from,
                 const std::string& to) {
    size_t at = p.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? p : p.replace(at, from.size(), to);
  };
  std::string v1 = swap(swap(swap(payload, "\"version\":2", "\"version\":1"),
                             "\"chunk_digests\"", "\"chunk_sha256\""),
                        "\"chunk_hash\":\"sha256\",", "");
  auto decoded = JournalRecord::Decode(reseal(v1));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value().chunk_hash, ChunkHash::kSha256);
  EXPECT_EQ(decoded.value().chunk_digests, r.chunk_digests);
  // A version 2 record must say which hash, and its digests fit it.
  std::string unnamed =
      swap(payload, "\"chunk_hash\":\"sha256\"", "\"chunk_hash\":\"md4\"");
  EXPECT_FALSE(JournalRecord::Decode(reseal(unnamed)).ok());
  std::string short_digests =
      swap(payload, "\"chunk_hash\":\"sha256\"", "\"chunk_hash\":\"xxh3-128\"");
  EXPECT_FALSE(JournalRecord::Decode(reseal(short_digests)).ok());
}

TEST_F(JournalTest, UnwritableDirectoryIsTyped) {
  if (geteuid() == 0) {
    // root ignores permissions; a path under a regular file fails anyway.
  }
  std::string file = root_ + "/plainfile";
  std::ofstream(file) << "x";
  Journal j(file + "/sub");
  Status s = j.Save(Sample());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_STATE_UNWRITABLE);
}

// The state directory is trusted only when it is ours and closed to others
// (someone who can write there could plant an entry that sends our file and
// credentials to their upload).
TEST_F(JournalTest, ADirectoryOthersCanWriteIsRefusedBeforeUse) {
  Journal j(dir_);
  ASSERT_TRUE(j.Save(Sample()).ok());
  ASSERT_EQ(::chmod(dir_.c_str(), 0770), 0);
  for (auto check : {+[](const Journal& jr) { return jr.Prepare(); },
                     +[](const Journal& jr) { return jr.Save(Sample()); }}) {
    Status s = check(j);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, FERRY_ERR_STATE_UNTRUSTED) << s.error().message;
  }
  Journal::Loaded loaded = j.Load(Sample().endpoint, Sample().path);
  EXPECT_EQ(loaded.state, Journal::LoadState::kDirectoryRefused);
  EXPECT_TRUE(j.List().empty());  // nothing read from it
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_TRUE(j.Prepare().ok());
  EXPECT_EQ(j.List().size(), 1u);
}

TEST_F(JournalTest, ASymbolicLinkAsTheDirectoryIsRefused) {
  Journal real(dir_);
  ASSERT_TRUE(real.Prepare().ok());
  std::string link = root_ + "/link";
  ASSERT_EQ(::symlink(dir_.c_str(), link.c_str()), 0);
  Status s = Journal(link).Save(Sample());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_STATE_UNTRUSTED);
  EXPECT_TRUE(real.List().empty());  // nothing written through the link
}

TEST_F(JournalTest, ADirectoryOfAnotherUserIsRefused) {
  // As root: a directory given to "nobody"; otherwise "/" (root's).
  std::string theirs = "/";
  if (::geteuid() == 0) {
    theirs = root_ + "/theirs";
    ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  }
  Status s = Journal(theirs).Prepare();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_STATE_UNTRUSTED) << s.error().message;
}

TEST_F(JournalTest, NoHomeMeansNoDirectoryNotASharedOne) {
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  const char* xdg = std::getenv("XDG_STATE_HOME");
  std::string saved_xdg = xdg ? xdg : "";
  ::unsetenv("HOME");
  ::unsetenv("XDG_STATE_HOME");
  std::string dir = Journal::DefaultDir();
  if (!home.empty()) ::setenv("HOME", home.c_str(), 1);
  if (xdg != nullptr) ::setenv("XDG_STATE_HOME", saved_xdg.c_str(), 1);
  EXPECT_EQ(dir, "");
  Status s = Journal(dir).Prepare();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, FERRY_ERR_STATE_UNWRITABLE);
}

TEST_F(JournalTest, OneWriterPerEntry) {
  Journal j(dir_);
  JournalRecord r = Sample();
  Result<UniqueFd> first = j.Lock(r.endpoint, r.path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  // flock is per open file: a second lock in this process conflicts as one
  // in another process would.
  Result<UniqueFd> second = j.Lock(r.endpoint, r.path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, FERRY_ERR_UPLOAD_IN_PROGRESS);
  EXPECT_TRUE(j.Lock(r.endpoint, "/data/other.mp4").ok());  // another entry
  j.Unlock(r.endpoint, r.path, std::move(first.value()));
  EXPECT_FALSE(
      std::filesystem::exists(j.EntryPath(r.endpoint, r.path) + ".lock"));
  EXPECT_TRUE(j.Lock(r.endpoint, r.path).ok());
}

TEST_F(JournalTest, ValuesBeyondWhatAClientWritesAreRefused) {
  auto refused = [](JournalRecord r) {
    return !JournalRecord::Decode(r.Encode()).ok();
  };
  JournalRecord r = Sample();
  EXPECT_FALSE(refused(r));
  r.chunk_size = (5ull << 30) + 1;
  EXPECT_TRUE(refused(r));
  r = Sample();
  r.protocol = "../../x";
  EXPECT_TRUE(refused(r));
  r = Sample();
  r.encoding = "gzip";
  EXPECT_TRUE(refused(r));
  r = Sample();
  r.acked = r.identity.size + 1;
  EXPECT_TRUE(refused(r));
  r = Sample();
  r.last_error_code = 9999;
  EXPECT_TRUE(refused(r));
  r = Sample();
  r.protocol = "s3";
  r.s3_parts.resize(1);
  r.s3_parts[0].number = 10001;
  EXPECT_TRUE(refused(r));
}

}  // namespace
}  // namespace ferry::internal
