// Whole migrations as data (docs/migration.md): a stored plan per migration, advanced stage by stage.
//   POST /ferry/migrations                 ?dry_run=        body: the plan (name, connector, topics, ...)
//   GET  /ferry/migrations                 ?connector=      the names
//   GET  /ferry/migrations/{name}          ?connector=      where each topic and group stands, with blockers
//   POST /ferry/migrations/{name}/advance  ?connector=&dry_run=&wait_ms=   runs stages until a gate stops it
//   POST /ferry/migrations/{name}/topics/{topic}/producers-moved  ?connector=   the operator confirms
// Thread-safety: the routes may run concurrently (MigrationService serializes what must be).
#pragma once

#include "rest/server.h"
#include "worker/cutover/service.h"

namespace ferry::rest {

// Registers the routes on a MigrationService over `cutover`, owned by the routes.
void AddMigrationRoutes(Router& router, cutover::CutoverService& cutover);

}  // namespace ferry::rest
