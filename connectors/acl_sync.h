// Topic ACL sync: MirrorSourceConnector's ACL pass, with MM2's rules (MirrorSourceConnector's).
// The source's topic ACLs are read, each is mapped by TargetAclBinding, and the ones the target does
// not have yet are created there. ACLs are only ever added to the target, never removed. The intent is
// MM2's: consumers keep their rights on remote topics, and only the mirror may write to them.
//
// Errors as in tasks/topic_config_sync.h: the pass fails as a whole when the source's or the target's
// ACLs cannot be read; an ACL the target refuses is recorded in SyncReport::errors (naming topic and
// binding) and the others are still created. A source cluster without an authorizer answers
// kUnsupported (SECURITY_DISABLED): MM2 then logs once, at INFO, that no ACL sync takes place and
// suggests `sync.topic.acls.enabled=false`; the caller should do the same (log once, keep quiet on
// later passes).
// Thread-safety: free functions over the Admins given; as safe as those are.
#pragma once

#include <optional>

#include "connectors/topic_config_sync.h"
#include "worker/kafka/admin.h"

namespace ferry::connectors {

// The target ACL for one source ACL, or nullopt when MM2 does not copy it:
//  - only TOPIC resources with a LITERAL pattern whose topic `topics.should_replicate` accepts
//    (PREFIXED, MATCH and non-topic ACLs are ignored);
//  - ALLOW WRITE is dropped (only the mirror writes remote topics);
//  - ALLOW ALL becomes ALLOW READ;
//  - everything else (every DENY, ALLOW READ, DESCRIBE, ...) is kept as it is;
//  - the resource becomes the remote topic (LITERAL); principal, host and permission are kept.
// As in MM2, the literal wildcard topic `*` is treated as a topic name: with DefaultReplicationPolicy
// it becomes the literal `<alias>.*` (which matches no real topic); with IdentityReplicationPolicy it
// stays `*`, i.e. applies to every target topic.
std::optional<kafka::AclBinding> TargetAclBinding(const kafka::AclBinding& source_acl, const MirrorTopics& topics);

// One ACL sync pass: DescribeAcls on both clusters (topic resources, any pattern), CreateAcls on the
// target for the mapped bindings it lacks. SyncReport::acls_created lists what was created.
Result<SyncReport> SyncTopicAcls(kafka::Admin& source, kafka::Admin& target, const MirrorTopics& topics);

}  // namespace ferry::connectors
