// Ferry's own routes, apart from Connect's API under /ferry/: the consumer-group cutover workflow and
// mirror verification (docs/cutover.md). Each route parses its query, calls CutoverService and renders
// its answer; Kafka-side failures become errors in rest/errors.h's one place.
//   GET  /ferry/groups/{group}/plan      ?connector=&direction=cutover|rollback&allow_approximate=
//   POST /ferry/groups/{group}/cutover   ?connector=&allow_approximate=&wait_ms=
//   POST /ferry/groups/{group}/rollback  ?connector=&allow_approximate=&wait_ms=
//   GET  /ferry/groups/{group}/status    ?connector=
//   GET  /ferry/topics/{topic}/verify    ?connector=&partition=
//   POST /ferry/translate                ?connector=   positions kept outside groups, through the map
// A refused move answers 409 and a failed one 500, both with Connect's error body plus the report.
// Thread-safety: the routes may run concurrently (CutoverService serializes).
#pragma once

#include "rest/server.h"
#include "worker/cutover/service.h"

namespace ferry::rest {

void AddCutoverRoutes(Router& router, cutover::CutoverService& service);

}  // namespace ferry::rest
