#include "common/curve_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace jobq::curve {
namespace {

using ::testing::HasSubstr;

KeyPair Pair() {
  absl::StatusOr<KeyPair> pair = GenerateKeyPair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  return *pair;
}

TEST(CurveKeysTest, Z85RoundTrips) {
  const KeyPair pair = Pair();
  EXPECT_EQ(pair.public_key.size(), kKeyBytes);
  EXPECT_EQ(pair.secret_key.size(), kKeyBytes);
  const std::string text = ToZ85(pair.public_key);
  EXPECT_EQ(text.size(), kZ85Chars);
  EXPECT_EQ(*FromZ85(text), pair.public_key);
  EXPECT_FALSE(FromZ85("short").ok());
  EXPECT_FALSE(FromZ85(std::string(40, '"')).ok()) << "'\"' is not in the Z85 alphabet";
}

TEST(CurveKeysTest, KeyFileRoundTrips) {
  const KeyPair pair = Pair();
  const std::string text = FormatKeyFile(pair, "worker1");
  EXPECT_THAT(text, HasSubstr("# jobq CURVE key pair"));
  EXPECT_THAT(text, HasSubstr(std::string("public-key = \"") + ToZ85(pair.public_key) + "\"\n"));
  EXPECT_THAT(text, HasSubstr(std::string("secret-key = \"") + ToZ85(pair.secret_key) + "\"\n"));
  absl::StatusOr<KeyPair> parsed = ParseKeyFile(text, "worker1.key");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->public_key, pair.public_key);
  EXPECT_EQ(parsed->secret_key, pair.secret_key);

  EXPECT_EQ(FormatPublicKeyFile(pair.public_key),
            std::string("public-key = \"") + ToZ85(pair.public_key) + "\"\n");
  EXPECT_EQ(*ParsePublicKeyFile(FormatPublicKeyFile(pair.public_key), "worker1.pub"),
            pair.public_key);
}

TEST(CurveKeysTest, ASecretKeyAloneGivesItsPublicKey) {
  const KeyPair pair = Pair();
  absl::StatusOr<KeyPair> parsed =
      ParseKeyFile(std::string("secret-key = \"") + ToZ85(pair.secret_key) + "\"\n", "x.key");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->public_key, pair.public_key);
}

TEST(CurveKeysTest, BadKeyFilesNameFileAndLine) {
  const KeyPair a = Pair();
  const KeyPair b = Pair();
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "x.key: no secret-key line"},
      {FormatPublicKeyFile(a.public_key), "x.key: no secret-key line"},
      {std::string("# c\npublic-key = \"") + ToZ85(a.public_key) +
           std::string("\"\nsecret-key = \"") + ToZ85(b.secret_key) + "\"\n",
       "x.key:2: public-key is not the public half"},
      {std::string("secret-key = ") + ToZ85(a.secret_key) + "\n",
       "x.key:1: expected secret-key = "},
      {"secret-key = \"abc\"\n", "x.key:1: secret-key: a CURVE key is 40 Z85 characters"},
      {"colour = \"blue\"\n", "x.key:1: expected public-key"},
      {std::string("secret-key = \"") + ToZ85(a.secret_key) + std::string("\"\nsecret-key = \"") +
           ToZ85(a.secret_key) + "\"\n",
       "x.key:2: a second secret-key"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KeyPair> parsed = ParseKeyFile(c.text, "x.key");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error)) << c.text;
  }
}

TEST(CurveKeysTest, APublicKeyFileRefusesASecret) {
  const KeyPair pair = Pair();
  absl::StatusOr<std::string> parsed = ParsePublicKeyFile(FormatKeyFile(pair, "b"), "b.key");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("b.key:4: this file holds a secret key"));
  EXPECT_THAT(ParsePublicKeyFile("", "e.pub").status().message(), HasSubstr("no public-key"));
}

TEST(CurveKeysTest, AllowListsTakeBareKeysAndPubLinesWithComments) {
  const KeyPair a = Pair();
  const KeyPair b = Pair();
  const KeyPair c = Pair();
  const std::string text = "# workers\n\n" + FormatPublicKeyFile(a.public_key) +
                           FormatPublicKeyFile(b.public_key) + std::string("  ") +
                           ToZ85(c.public_key) + "  \n   # trailing comment\n";
  absl::StatusOr<AllowList> keys = ParseAllowList(text, "workers.allow");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, (AllowList{a.public_key, b.public_key, c.public_key}));
}

TEST(CurveKeysTest, BareKeysMayStartWithHashOrHoldEquals) {
  // Z85 uses '#' and '=', which also start comments and separate entries:
  // many random keys make sure both turn up. ('#' is never first in a
  // 32-byte key, whose first digit is at most 82 of Z85's 85.)
  std::string text;
  AllowList expected;
  bool hash = false;
  bool equals = false;
  for (int i = 0; i < 400; ++i) {
    const std::string key = Pair().public_key;
    const std::string z85 = ToZ85(key);
    hash |= z85.find('#') != std::string::npos;
    equals |= z85.find('=') != std::string::npos;
    text += (i % 2 == 0 ? z85 + "\n" : FormatPublicKeyFile(key));
    expected.insert(key);
  }
  absl::StatusOr<AllowList> keys = ParseAllowList(text, "many.allow");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(*keys, expected);
  EXPECT_TRUE(hash && equals) << "400 keys should include both cases";
}

TEST(CurveKeysTest, BadAllowListsNameFileAndLine) {
  const KeyPair a = Pair();
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "w.allow: no keys"},
      {"# only a comment\n", "w.allow: no keys"},
      {ToZ85(a.public_key) + "\nnot-a-key\n", "w.allow:2: public key: a CURVE key is 40"},
      {"\n\n" + FormatKeyFile(a, "a"), "w.allow:6: a secret key in an allow-list"},
      {std::string("name = \"") + ToZ85(a.public_key) + "\"\n", "w.allow:1: expected a public key"},
      {std::string("public-key = \"") + ToZ85(a.public_key) + "\n",
       "w.allow:1: expected public-key = "},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AllowList> parsed = ParseAllowList(c.text, "w.allow");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error)) << c.text;
  }
}

TEST(CurveKeysTest, LoadingMissingFilesSaysWhatToDo) {
  absl::StatusOr<AllowList> missing = LoadAllowList("/nonexistent/w.allow");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/w.allow"));
}

TEST(CurveKeysTest, ClientKeysNeedBothFiles) {
  absl::StatusOr<ClientKeys> keys = LoadClientKeys("broker.pub", "");
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.status().message(), HasSubstr("only --broker-key was given"));
  keys = LoadClientKeys("", "me.key");
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(keys.status().message(), HasSubstr("only --curve-key was given"));
}

}  // namespace
}  // namespace jobq::curve
