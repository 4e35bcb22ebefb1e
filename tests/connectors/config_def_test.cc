#include "connectors/config_def.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::connectors {
namespace {

ConfigKey Key(std::string name, ConfigType type, std::optional<std::string> default_value = std::nullopt,
              Validator validator = {}) {
  ConfigKey key;
  key.name = std::move(name);
  key.type = type;
  key.default_value = std::move(default_value);
  key.validator = std::move(validator);
  return key;
}

ConfigKey NullDefaultKey(std::string name, ConfigType type) {
  ConfigKey key = Key(std::move(name), type);
  key.null_default = true;
  return key;
}

// Validates {"k": raw} against one key; the single ConfigValueInfo.
ConfigValueInfo ValidateOne(ConfigKey key, const std::string& raw) {
  ConfigDef def;
  def.Define(std::move(key));
  std::vector<ConfigValueInfo> infos = def.Validate({{"k", raw}});
  EXPECT_EQ(infos.size(), 1u);
  return infos.at(0);
}

struct TypeCase {
  ConfigType type;
  std::string raw;
  std::optional<std::string> shown;  // ConfigValueInfo.value when valid
  std::string error;                 // else the message
};

TEST(ConfigDefTest, ParsesEachTypeAsKafka) {
  const std::vector<TypeCase> cases = {
      {ConfigType::kBoolean, "true", "true", ""},
      {ConfigType::kBoolean, " TRUE ", "true", ""},
      {ConfigType::kBoolean, "False", "false", ""},
      {ConfigType::kBoolean, "yes", std::nullopt,
       "Invalid value yes for configuration k: Expected value to be either true or false"},
      {ConfigType::kBoolean, "", std::nullopt,
       "Invalid value  for configuration k: Expected value to be either true or false"},
      {ConfigType::kString, "  spaced out  ", "spaced out", ""},
      {ConfigType::kString, "", "", ""},
      {ConfigType::kClass, " org.example.Converter ", "org.example.Converter", ""},
      {ConfigType::kPassword, " hunter2 ", "[hidden]", ""},
      {ConfigType::kInt, "42", "42", ""},
      {ConfigType::kInt, " 42 ", "42", ""},
      {ConfigType::kInt, "+7", "7", ""},
      {ConfigType::kInt, "-2147483648", "-2147483648", ""},
      {ConfigType::kInt, "2147483647", "2147483647", ""},
      {ConfigType::kInt, "2147483648", std::nullopt,
       "Invalid value 2147483648 for configuration k: Not a number of type INT"},
      {ConfigType::kInt, "4.0", std::nullopt, "Invalid value 4.0 for configuration k: Not a number of type INT"},
      {ConfigType::kInt, "0x10", std::nullopt, "Invalid value 0x10 for configuration k: Not a number of type INT"},
      {ConfigType::kInt, "", std::nullopt, "Invalid value  for configuration k: Not a number of type INT"},
      {ConfigType::kInt, "-", std::nullopt, "Invalid value - for configuration k: Not a number of type INT"},
      {ConfigType::kInt, " abc ", std::nullopt, "Invalid value  abc  for configuration k: Not a number of type INT"},
      {ConfigType::kShort, "32767", "32767", ""},
      {ConfigType::kShort, "-32768", "-32768", ""},
      {ConfigType::kShort, "32768", std::nullopt,
       "Invalid value 32768 for configuration k: Not a number of type SHORT"},
      {ConfigType::kLong, "9223372036854775807", "9223372036854775807", ""},
      {ConfigType::kLong, "-9223372036854775808", "-9223372036854775808", ""},
      {ConfigType::kLong, "9223372036854775808", std::nullopt,
       "Invalid value 9223372036854775808 for configuration k: Not a number of type LONG"},
      {ConfigType::kLong, "1e3", std::nullopt, "Invalid value 1e3 for configuration k: Not a number of type LONG"},
      {ConfigType::kDouble, "1.5", "1.5", ""},
      {ConfigType::kDouble, "1", "1.0", ""},
      {ConfigType::kDouble, "-0.25", "-0.25", ""},
      {ConfigType::kDouble, "1e10", "1.0E10", ""},
      {ConfigType::kDouble, "1234567.5", "1234567.5", ""},
      {ConfigType::kDouble, "12345678", "1.2345678E7", ""},
      {ConfigType::kDouble, "0.001", "0.001", ""},
      {ConfigType::kDouble, "0.0001", "1.0E-4", ""},
      {ConfigType::kDouble, "2.5d", "2.5", ""},
      {ConfigType::kDouble, ".5", "0.5", ""},
      {ConfigType::kDouble, "NaN", "NaN", ""},
      {ConfigType::kDouble, "-Infinity", "-Infinity", ""},
      {ConfigType::kDouble, "abc", std::nullopt, "Invalid value abc for configuration k: Not a number of type DOUBLE"},
      {ConfigType::kDouble, "1e", std::nullopt, "Invalid value 1e for configuration k: Not a number of type DOUBLE"},
      {ConfigType::kList, " a , b ,c ", "a,b,c", ""},
      {ConfigType::kList, "", "", ""},
      {ConfigType::kList, "   ", "", ""},
      {ConfigType::kList, "a,,b", "a,,b", ""},
      {ConfigType::kList, "a,", "a,", ""},
      {ConfigType::kList, "single", "single", ""},
  };
  for (const TypeCase& c : cases) {
    SCOPED_TRACE(std::string(ConfigTypeName(c.type)) + " '" + c.raw + "'");
    ConfigValueInfo info = ValidateOne(Key("k", c.type), c.raw);
    EXPECT_EQ(info.name, "k");
    EXPECT_EQ(info.value, c.shown);
    if (c.error.empty()) {
      EXPECT_TRUE(info.errors.empty()) << info.errors.at(0);
    } else {
      EXPECT_EQ(info.errors, std::vector<std::string>{c.error});
    }
  }
}

TEST(ConfigDefTest, ListItemsAreSplitAndTrimmed) {
  ConfigDef def;
  def.Define(Key("k", ConfigType::kList));
  Result<ParsedConfig> parsed = def.Parse({{"k", " a ,\tb,  ,c "}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->GetList("k"), (std::vector<std::string>{"a", "b", "", "c"}));
  parsed = def.Parse({{"k", ""}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->GetList("k").empty());
}

TEST(ConfigDefTest, MissingRequiredKey) {
  ConfigDef def;
  def.Define(Key("needed", ConfigType::kString));
  std::vector<ConfigValueInfo> infos = def.Validate({});
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].value, std::nullopt);
  EXPECT_EQ(infos[0].errors,
            std::vector<std::string>{"Missing required configuration \"needed\" which has no default value."});
  Result<ParsedConfig> parsed = def.Parse({});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(parsed.error().message(), "Missing required configuration \"needed\" which has no default value.");
}

TEST(ConfigDefTest, RequiredKeyWithValidatorReportsOnlyTheMissingKey) {
  ConfigDef def;
  def.Define(Key("n", ConfigType::kInt, std::nullopt, AtLeast(1)));
  std::vector<ConfigValueInfo> infos = def.Validate({});
  EXPECT_EQ(infos.at(0).errors.size(), 1u);
}

TEST(ConfigDefTest, DefaultsParseWithTheSameRules) {
  ConfigDef def;
  def.Define(Key("i", ConfigType::kInt, " 5 "));
  def.Define(Key("l", ConfigType::kList, "a, b"));
  def.Define(Key("b", ConfigType::kBoolean, "TRUE"));
  def.Define(Key("s", ConfigType::kString, ""));
  def.Define(Key("d", ConfigType::kDouble, "0.5"));
  def.Define(Key("p", ConfigType::kPassword, "pw"));
  Result<ParsedConfig> parsed = def.Parse({});
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->GetInt("i"), 5);
  EXPECT_EQ(parsed->GetLong("i"), 5);
  EXPECT_EQ(parsed->GetList("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parsed->GetBool("b"));
  EXPECT_EQ(parsed->GetString("s"), "");
  EXPECT_TRUE(parsed->Has("s"));
  EXPECT_DOUBLE_EQ(parsed->GetDouble("d"), 0.5);
  EXPECT_EQ(parsed->GetString("p"), "pw");
  std::vector<ConfigValueInfo> infos = def.Validate({});
  EXPECT_EQ(infos[0].value, "5");
  EXPECT_EQ(infos[1].value, "a,b");
  EXPECT_EQ(infos[5].value, "[hidden]");
}

TEST(ConfigDefTest, SubmittedValueBeatsDefault) {
  ConfigDef def;
  def.Define(Key("i", ConfigType::kInt, "5"));
  Result<ParsedConfig> parsed = def.Parse({{"i", "6"}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->GetInt("i"), 6);
  EXPECT_EQ(parsed->originals(), (Properties{{"i", "6"}}));
}

TEST(ConfigDefTest, NullDefaultIsOptionalWithoutValue) {
  ConfigDef def;
  def.Define(NullDefaultKey("host", ConfigType::kString));
  def.Define(NullDefaultKey("port", ConfigType::kInt));
  EXPECT_FALSE(def.Find("host")->required());
  Result<ParsedConfig> parsed = def.Parse({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->Has("host"));
  EXPECT_FALSE(parsed->Has("port"));
  std::vector<ConfigValueInfo> infos = def.Validate({});
  EXPECT_EQ(infos[0].value, std::nullopt);
  EXPECT_TRUE(infos[0].errors.empty());
  parsed = def.Parse({{"port", "8083"}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Has("port"));
  EXPECT_EQ(parsed->GetInt("port"), 8083);
}

TEST(ConfigDefTest, RequiredReflectsTheThreeKindsOfDefault) {
  EXPECT_TRUE(Key("a", ConfigType::kString).required());
  EXPECT_FALSE(Key("a", ConfigType::kString, "").required());
  EXPECT_FALSE(NullDefaultKey("a", ConfigType::kString).required());
}

struct ValidatorCase {
  const char* name;
  ConfigType type;
  Validator validator;
  std::string raw;
  std::string error;  // "" when valid
};

TEST(ConfigDefTest, ValidatorsUseKafkasMessages) {
  const std::vector<ValidatorCase> cases = {
      {"at least, ok", ConfigType::kInt, AtLeast(1), "1", ""},
      {"at least, low", ConfigType::kInt, AtLeast(1), "0",
       "Invalid value 0 for configuration k: Value must be at least 1"},
      {"at least, negative bound", ConfigType::kLong, AtLeast(-1), "-2",
       "Invalid value -2 for configuration k: Value must be at least -1"},
      {"at least on a double", ConfigType::kDouble, AtLeast(1), "0.5",
       "Invalid value 0.5 for configuration k: Value must be at least 1"},
      {"at least, trimmed value shown parsed", ConfigType::kInt, AtLeast(10), " 09 ",
       "Invalid value 9 for configuration k: Value must be at least 10"},
      {"between, ok low", ConfigType::kInt, Between(1, 10), "1", ""},
      {"between, ok high", ConfigType::kInt, Between(1, 10), "10", ""},
      {"between, low", ConfigType::kInt, Between(1, 10), "0",
       "Invalid value 0 for configuration k: Value must be at least 1"},
      {"between, high", ConfigType::kShort, Between(1, 10), "11",
       "Invalid value 11 for configuration k: Value must be no more than 10"},
      {"one of, ok", ConfigType::kString, OneOf({"a", "b"}), "b", ""},
      {"one of, case matters", ConfigType::kString, OneOf({"a", "b"}), "A",
       "Invalid value A for configuration k: String must be one of: a, b"},
      {"one of, other", ConfigType::kString, OneOf({"PLAINTEXT", "SSL"}), " ssl ",
       "Invalid value ssl for configuration k: String must be one of: PLAINTEXT, SSL"},
      {"one of, case-insensitive ok", ConfigType::kString, OneOf({"none", "rebootstrap"}, true), "NoNe", ""},
      {"one of, case-insensitive bad", ConfigType::kString, OneOf({"none", "rebootstrap"}, true), "x",
       "Invalid value x for configuration k: String must be one of (case insensitive): REBOOTSTRAP, NONE"},
      {"one of on a list, ok", ConfigType::kList, OneOf({"a", "b"}), "a, b, a", ""},
      {"one of on a list, bad item", ConfigType::kList, OneOf({"a", "b"}), "a, c",
       "Invalid value [a, c] for configuration k: String must be one of: a, b"},
      {"non-empty, ok", ConfigType::kString, NonEmptyString(), "x", ""},
      {"non-empty, empty", ConfigType::kString, NonEmptyString(), "",
       "Invalid value  for configuration k: String must be non-empty"},
      {"non-empty, blanks are empty", ConfigType::kString, NonEmptyString(), "   ",
       "Invalid value  for configuration k: String must be non-empty"},
      {"non-empty password hides the value", ConfigType::kPassword, NonEmptyString(), "",
       "Invalid value [hidden] for configuration k: String must be non-empty"},
      {"regex list, ok", ConfigType::kList, ValidRegexList(), "topic-.*, other, [a-z]+", ""},
      {"regex list, empty list", ConfigType::kList, ValidRegexList(), "", ""},
  };
  for (const ValidatorCase& c : cases) {
    SCOPED_TRACE(c.name);
    ConfigValueInfo info = ValidateOne(Key("k", c.type, std::nullopt, c.validator), c.raw);
    if (c.error.empty()) {
      EXPECT_TRUE(info.errors.empty()) << info.errors.at(0);
    } else {
      EXPECT_EQ(info.errors, std::vector<std::string>{c.error});
      EXPECT_TRUE(info.value.has_value()) << "a parsed value stays visible next to its error";
    }
  }
}

TEST(ConfigDefTest, RegexListRejectsABadPattern) {
  ConfigValueInfo info = ValidateOne(Key("k", ConfigType::kList, std::nullopt, ValidRegexList()), "ok.*, (unclosed");
  ASSERT_EQ(info.errors.size(), 1u);
  EXPECT_EQ(info.errors[0].rfind("Invalid value [ok.*, (unclosed] for configuration k: Syntax error in regular "
                                 "expression: (unclosed",
                                 0),
            0u)
      << info.errors[0];
}

TEST(ConfigDefTest, ParseReturnsTheFirstProblemInDefinitionOrder) {
  ConfigDef def;
  def.Define(Key("first", ConfigType::kInt, "1", AtLeast(0)));
  def.Define(Key("second", ConfigType::kString));
  def.Define(Key("third", ConfigType::kBoolean, "true"));
  Result<ParsedConfig> parsed = def.Parse({{"first", "-1"}, {"third", "maybe"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(), "Invalid value -1 for configuration first: Value must be at least 0");
  parsed = def.Parse({{"first", "1"}, {"third", "maybe"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(), "Missing required configuration \"second\" which has no default value.");
  parsed = def.Parse({{"second", "x"}, {"third", "maybe"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(),
            "Invalid value maybe for configuration third: Expected value to be either true or false");
}

TEST(ConfigDefTest, ValidateReportsEveryKeyInDefinitionOrder) {
  ConfigDef def;
  def.Define(Key("z", ConfigType::kInt, "1"));
  def.Define(Key("a", ConfigType::kString));
  def.Define(Key("m", ConfigType::kBoolean, "false"));
  std::vector<ConfigValueInfo> infos = def.Validate({{"z", "x"}, {"undefined", "1"}});
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_EQ(infos[0].name, "z");
  EXPECT_EQ(infos[0].errors.size(), 1u);
  EXPECT_EQ(infos[0].value, std::nullopt);
  EXPECT_EQ(infos[1].name, "a");
  EXPECT_EQ(infos[1].errors.size(), 1u);
  EXPECT_EQ(infos[2].name, "m");
  EXPECT_EQ(infos[2].value, "false");
  EXPECT_TRUE(infos[2].errors.empty());
  EXPECT_TRUE(infos[2].visible);
}

TEST(ConfigDefTest, FindAndMerge) {
  ConfigDef a;
  a.Define(Key("x", ConfigType::kString, "1"));
  ConfigDef b;
  b.Define(Key("x", ConfigType::kInt, "2"));
  b.Define(Key("y", ConfigType::kInt, "3"));
  a.Merge(b);
  ASSERT_EQ(a.keys().size(), 2u);
  EXPECT_EQ(a.Find("x")->type, ConfigType::kString) << "an existing key stays";
  EXPECT_EQ(a.Find("y")->type, ConfigType::kInt);
  EXPECT_EQ(a.Find("nope"), nullptr);
  EXPECT_EQ(a.Find("x")->display_name, "x") << "display name defaults to the name";
}

TEST(ConfigDefTest, NamesAsKafkaPrintsThem) {
  EXPECT_STREQ(ConfigTypeName(ConfigType::kBoolean), "BOOLEAN");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kString), "STRING");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kInt), "INT");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kShort), "SHORT");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kLong), "LONG");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kDouble), "DOUBLE");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kList), "LIST");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kClass), "CLASS");
  EXPECT_STREQ(ConfigTypeName(ConfigType::kPassword), "PASSWORD");
  EXPECT_STREQ(ImportanceName(Importance::kHigh), "HIGH");
  EXPECT_STREQ(ImportanceName(Importance::kMedium), "MEDIUM");
  EXPECT_STREQ(ImportanceName(Importance::kLow), "LOW");
  EXPECT_STREQ(WidthName(Width::kNone), "NONE");
  EXPECT_STREQ(WidthName(Width::kShort), "SHORT");
  EXPECT_STREQ(WidthName(Width::kMedium), "MEDIUM");
  EXPECT_STREQ(WidthName(Width::kLong), "LONG");
}

TEST(ConfigDefTest, ValueToString) {
  EXPECT_EQ(ConfigValueToString(ConfigValue(true), ConfigType::kBoolean), "true");
  EXPECT_EQ(ConfigValueToString(ConfigValue(int64_t{-3}), ConfigType::kLong), "-3");
  EXPECT_EQ(ConfigValueToString(ConfigValue(2.0), ConfigType::kDouble), "2.0");
  EXPECT_EQ(ConfigValueToString(ConfigValue(std::vector<std::string>{"a", "b"}), ConfigType::kList), "a,b");
  EXPECT_EQ(ConfigValueToString(ConfigValue(std::string("s3cret")), ConfigType::kPassword), "[hidden]");
}

TEST(ConfigDefDeathTest, DefiningTwiceIsABug) {
  ConfigDef def;
  def.Define(Key("x", ConfigType::kString, ""));
  EXPECT_DEATH(def.Define(Key("x", ConfigType::kString, "")), "defined twice");
}

TEST(ConfigDefDeathTest, InvalidDefaultIsABug) {
  ConfigDef def;
  EXPECT_DEATH(def.Define(Key("n", ConfigType::kInt, "many")), "invalid default of n");
  EXPECT_DEATH(def.Define(Key("n", ConfigType::kInt, "0", AtLeast(1))), "fails its validator");
}

TEST(ConfigDefDeathTest, WrongGetterIsABug) {
  ConfigDef def;
  def.Define(Key("s", ConfigType::kString, "x"));
  def.Define(NullDefaultKey("n", ConfigType::kInt));
  Result<ParsedConfig> parsed = def.Parse({});
  ASSERT_TRUE(parsed.ok());
  EXPECT_DEATH((void)parsed->GetInt("s"), "of type STRING");
  EXPECT_DEATH((void)parsed->GetString("undefined"), "not a defined key");
  EXPECT_DEATH((void)parsed->GetInt("n"), "has no value");
}

ConfigDef GroupedDef() {
  ConfigDef def;
  ConfigKey a = Key("source.alias", ConfigType::kString);
  a.group = "Clusters";
  ConfigKey b = Key("tasks.max", ConfigType::kInt, "1", AtLeast(1));
  b.group = "Tasks";
  ConfigKey c = Key("target.alias", ConfigType::kString, "target");
  c.group = "Clusters";
  ConfigKey d = Key("password", ConfigType::kPassword, "");
  ConfigKey e = Key("topics", ConfigType::kList, ".*");
  e.group = "Topics";
  def.Define(a).Define(b).Define(c).Define(d).Define(e);
  return def;
}

TEST(ConfigDefTest, BuildConfigInfosGroupsAndCounts) {
  ConfigInfos infos = BuildConfigInfos("org.example.Mirror", GroupedDef(),
                                       {{"tasks.max", "0"}, {"password", "pw"}, {"extra.setting", "v"}});
  EXPECT_EQ(infos.name, "org.example.Mirror");
  EXPECT_EQ(infos.groups, (std::vector<std::string>{"Clusters", "Tasks", "Topics"}));
  ASSERT_EQ(infos.configs.size(), 5u) << "extra.setting, which no definition describes, is left out";
  // Defined keys first, in definition order, each with its definition.
  EXPECT_EQ(infos.configs[0].definition->name, "source.alias");
  EXPECT_EQ(infos.configs[0].value->errors.size(), 1u);  // missing
  EXPECT_EQ(infos.configs[1].value->errors,
            std::vector<std::string>{"Invalid value 0 for configuration tasks.max: Value must be at least 1"});
  EXPECT_EQ(infos.configs[1].value->value, "0");
  EXPECT_EQ(infos.configs[3].value->value, "[hidden]");
  EXPECT_EQ(infos.configs[4].value->value, ".*");
  EXPECT_EQ(infos.error_count, 2);
}

TEST(ConfigDefTest, BuildConfigInfosAddsExtraErrors) {
  ConfigInfos infos = BuildConfigInfos(
      "C", GroupedDef(), {{"source.alias", "a"}, {"target.alias", "a"}, {"sasl.password", "pw"}, {"other", "x"}},
      {{"target.alias", {"source and target must differ"}},
       {"elsewhere", {"a problem"}},
       {"sasl.password", {"a secret problem"}}});
  EXPECT_EQ(infos.error_count, 3);
  EXPECT_EQ(infos.configs[2].value->errors, std::vector<std::string>{"source and target must differ"});
  // Undefined settings only where a check gave them an error ("other" is left out), with their value.
  ASSERT_EQ(infos.configs.size(), 7u);
  EXPECT_EQ(infos.configs[5].value->name, "elsewhere");
  EXPECT_EQ(infos.configs[5].value->value, std::nullopt);
  EXPECT_EQ(infos.configs[5].value->errors, std::vector<std::string>{"a problem"});
  EXPECT_EQ(infos.configs[6].value->name, "sasl.password");
  EXPECT_EQ(infos.configs[6].value->value, "[hidden]") << "an undefined secret-looking key is hidden too";
  EXPECT_EQ(infos.configs[6].value->errors, std::vector<std::string>{"a secret problem"});
}

TEST(ConfigDefTest, BuildConfigInfosWithoutErrors) {
  ConfigInfos infos = BuildConfigInfos("C", GroupedDef(), {{"source.alias", "a"}});
  EXPECT_EQ(infos.error_count, 0);
  EXPECT_EQ(infos.configs.size(), 5u);
}

}  // namespace
}  // namespace ferry::connectors
