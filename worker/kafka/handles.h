// Owning pointers for librdkafka objects: every handle Ferry holds is one of these, so no code path
// calls an rd_kafka_*_destroy by hand.
//
// Ownership rules of librdkafka worth remembering at the call site:
// - rd_kafka_new() takes the conf only on success: release() the ConfPtr after it succeeds.
// - producev() with RD_KAFKA_V_HEADERS takes the headers only on success: release() after.
// - Destroy order for a consumer: its queues, then rd_kafka_consumer_close(), then rd_kafka_destroy().
// - A mock cluster must be destroyed before the rd_kafka_t that hosts it.
#pragma once

#include <memory>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace ferry::kafka {

// Destroys a client handle and forgets what client.h watched of it (ConfigFailure).
void DestroyClient(rd_kafka_t* rk) noexcept;

template <auto DestroyFn>
struct Destroyer {
  template <typename T>
  void operator()(T* p) const noexcept {
    DestroyFn(p);
  }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Destroyer<rd_kafka_conf_destroy>>;
using HandlePtr = std::unique_ptr<rd_kafka_t, Destroyer<DestroyClient>>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, Destroyer<rd_kafka_topic_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Destroyer<rd_kafka_queue_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, Destroyer<rd_kafka_message_destroy>>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, Destroyer<rd_kafka_headers_destroy>>;
using PartitionsPtr =
    std::unique_ptr<rd_kafka_topic_partition_list_t, Destroyer<rd_kafka_topic_partition_list_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, Destroyer<rd_kafka_error_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Destroyer<rd_kafka_event_destroy>>;
using AdminOptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, Destroyer<rd_kafka_AdminOptions_destroy>>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Destroyer<rd_kafka_metadata_destroy>>;
using MockClusterPtr =
    std::unique_ptr<rd_kafka_mock_cluster_t, Destroyer<rd_kafka_mock_cluster_destroy>>;

// The Admin API's request objects (librdkafka copies them into the request; the caller frees them).
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Destroyer<rd_kafka_NewTopic_destroy>>;
using NewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, Destroyer<rd_kafka_NewPartitions_destroy>>;
using ConfigResourcePtr =
    std::unique_ptr<rd_kafka_ConfigResource_t, Destroyer<rd_kafka_ConfigResource_destroy>>;
using AclBindingPtr = std::unique_ptr<rd_kafka_AclBinding_t, Destroyer<rd_kafka_AclBinding_destroy>>;
using ListGroupOffsetsPtr = std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                                            Destroyer<rd_kafka_ListConsumerGroupOffsets_destroy>>;
using AlterGroupOffsetsPtr = std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t,
                                             Destroyer<rd_kafka_AlterConsumerGroupOffsets_destroy>>;
using DeleteGroupOffsetsPtr = std::unique_ptr<rd_kafka_DeleteConsumerGroupOffsets_t,
                                              Destroyer<rd_kafka_DeleteConsumerGroupOffsets_destroy>>;
using DeleteRecordsPtr = std::unique_ptr<rd_kafka_DeleteRecords_t, Destroyer<rd_kafka_DeleteRecords_destroy>>;
using DeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, Destroyer<rd_kafka_DeleteTopic_destroy>>;

}  // namespace ferry::kafka
