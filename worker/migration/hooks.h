// Hooks: what a migration runs at a stage (e.g. flip a DNS record, a gateway route, a flag clients
// watch, or announce the move on a control topic: examples/migration/). A command is run without a
// shell (argv; `{name}` in an argument is replaced by the variable's value, and each variable is in
// the environment as FERRY_<NAME>); an HTTP hook is POSTed the variables as a JSON object (`{name}` in
// its URL is replaced by the value percent-encoded). Each runs
// within its timeout (a command still running then is killed, with its process group) and its outcome
// (exit status or HTTP status, the first kMaxHookOutput bytes of output) is what the plan journals.
// A hook may run more than once (a worker that crashed after it ran and before the plan recorded it
// runs it again): hooks must be idempotent.
// Thread-safety: RunHook is a free function; concurrent calls share nothing.
#pragma once

#include <map>
#include <string>

#include "worker/migration/plan.h"

namespace ferry::migration {

// Variables: migration, connector, source_alias, target_alias, topic, group, event (those that apply).
using HookVariables = std::map<std::string, std::string>;

HookOutcome RunHook(const HookSpec& hook, const HookVariables& variables);

// `text` with every `{name}` of `variables` replaced by its value.
std::string Substitute(const std::string& text, const HookVariables& variables);

}  // namespace ferry::migration
