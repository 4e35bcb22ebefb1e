// The status page (docs/operations.md, "The status page"):
//   GET /ui                  the page (rest/ui/index.html)
//   GET /ui/{file}           its script and style sheet (rest/ui/), compiled into the binary
//   GET /ferry/ui/history    ?since=<ms>: the history the page plots (rest/ui_history.h), as JSON
// The page reads everything else from the API it is served with (connectors, /metrics, /ferry/groups).
#pragma once

#include "rest/server.h"
#include "rest/ui_history.h"

namespace ferry::rest {

void AddUiRoutes(Router& router, const UiHistory& history);

}  // namespace ferry::rest
