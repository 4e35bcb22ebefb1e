#include "connectors/acl_sync.h"

#include <set>
#include <vector>

#include <glog/logging.h>

namespace ferry::connectors {

using kafka::AclBinding;
using kafka::AclOperation;
using kafka::AclPatternType;
using kafka::AclPermission;
using kafka::AclResourceType;

std::optional<AclBinding> TargetAclBinding(const AclBinding& source_acl, const MirrorTopics& topics) {
  if (source_acl.resource_type != AclResourceType::kTopic) return std::nullopt;
  if (source_acl.pattern_type != AclPatternType::kLiteral) return std::nullopt;
  if (!topics.should_replicate(source_acl.resource_name)) return std::nullopt;
  const bool allow = source_acl.permission == AclPermission::kAllow;
  if (allow && source_acl.operation == AclOperation::kWrite) return std::nullopt;
  AclBinding target = source_acl;
  target.resource_name = topics.RemoteTopic(source_acl.resource_name);
  if (allow && source_acl.operation == AclOperation::kAll) target.operation = AclOperation::kRead;
  return target;
}

Result<SyncReport> SyncTopicAcls(kafka::Admin& source, kafka::Admin& target, const MirrorTopics& topics) {
  CHECK(topics.policy != nullptr && topics.should_replicate) << "MirrorTopics incomplete";
  const kafka::AclBindingFilter all_topic_acls;  // TOPIC, any name, any pattern: MM2's ANY_TOPIC_ACL
  auto source_acls = source.DescribeAcls(all_topic_acls);
  if (!source_acls.ok()) return WithContext("describing source topic ACLs", source_acls.error());

  std::set<AclBinding> wanted;  // a set: ALLOW ALL and ALLOW READ of one principal map to one binding
  for (const AclBinding& acl : *source_acls) {
    if (auto mapped = TargetAclBinding(acl, topics)) wanted.insert(std::move(*mapped));
  }
  SyncReport report;
  if (wanted.empty()) return report;

  auto target_acls = target.DescribeAcls(all_topic_acls);
  if (!target_acls.ok()) return WithContext("describing target topic ACLs", target_acls.error());
  for (const AclBinding& existing : *target_acls) wanted.erase(existing);
  if (wanted.empty()) return report;

  const std::vector<AclBinding> to_create(wanted.begin(), wanted.end());
  auto created = target.CreateAcls(to_create);
  if (!created.ok()) {
    for (const AclBinding& acl : to_create) {
      report.errors.push_back(WithContext("creating ACL for remote topic '" + acl.resource_name + "' " + acl.ToString(),
                                          created.error()));
    }
    return report;
  }
  CHECK_EQ(created->size(), to_create.size()) << "Admin::CreateAcls must answer once per binding";
  for (size_t i = 0; i < to_create.size(); ++i) {
    if ((*created)[i].ok()) {
      report.acls_created.push_back(to_create[i]);
    } else {
      report.errors.push_back(WithContext(
          "creating ACL for remote topic '" + to_create[i].resource_name + "' " + to_create[i].ToString(),
          (*created)[i].error()));
    }
  }
  return report;
}

}  // namespace ferry::connectors
