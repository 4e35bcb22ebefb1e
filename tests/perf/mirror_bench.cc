// mirror_bench: how fast Ferry's MirrorTask copies a topic, next to librdkafka at its best on the same
// two clusters in the same run: two mock clusters by default, or two Kafka clusters named with
// --bootstrap-source and --bootstrap-target. See README.md in this directory for what it measures and why.
//
// Process layout. The driver (this process) never creates a Kafka client or a thread, so fork()
// without exec is safe. It forks:
//   - on the mock, one cluster process that runs the source and target mock clusters (3 brokers each,
//     loopback), creates every topic, reports the bootstrap strings and lives until its control pipe
//     closes; on Kafka, one process that creates the run's topics (names new to the run) and one at the
//     end that deletes them;
//   - one process per measured phase (raw produce, raw consume, Ferry) and per copy check, so that
//     getrusage(RUSAGE_SELF) and VmHWM describe that phase alone.
// Every child sends one fixed-size struct back over a pipe, dies with the driver (PR_SET_PDEATHSIG),
// and is killed and reaped by its owning Child object on every exit path of the driver.

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <librdkafka/rdkafka.h>

#include "connectors/replication_policy.h"
#include "tasks/mirror_source_metrics.h"
#include "tasks/mirror_task.h"
#include "worker/common/result.h"
#include "worker/common/types.h"
#include "worker/kafka/admin.h"
#include "worker/kafka/client.h"
#include "worker/kafka/handles.h"
#include "worker/kafka/mock_cluster.h"

DEFINE_int64(records_per_partition_100, 36000,
             "Records per partition for 100-byte values (the mock keeps at most 5 MiB per partition)");
DEFINE_int64(records_per_partition_1000, 4500,
             "Records per partition for 1,000-byte values (the mock keeps at most 5 MiB per partition)");
DEFINE_int32(partitions, 8, "Partitions of each benchmark topic");
DEFINE_double(min_phase_seconds, 0.5,
              "Run rounds (each on fresh topics) until every phase has been measured for at least this "
              "long in total: one topic must stay under the mock's retention, so one round is short");
DEFINE_int32(min_rounds, 3, "Rounds per value size at least");
DEFINE_int32(max_rounds, 12, "Rounds per value size at most (each round keeps ~80 MB in the mock clusters)");
DEFINE_int32(phase_timeout_s, 120, "Limit for one phase (produce, consume, mirror, check), in seconds");
DEFINE_int32(max_runtime_s, 3600, "Limit for the whole run; the cluster process exits after it");
DEFINE_string(bootstrap_source, "", "A Kafka cluster (host:port,...) to read from instead of the mock clusters; "
              "needs --bootstrap-target. The run makes its own topics (names new to the run) and deletes them "
              "at the end");
DEFINE_string(bootstrap_target, "", "The Kafka cluster to mirror to; needs --bootstrap-source");
DEFINE_double(scrape_hz, 0, "While Ferry copies, render the task's GET /metrics exposition this often per "
              "second (as a Prometheus scrape would; 0: never)");

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kBrokers = 3;
constexpr const char* kSourceAlias = "source";
constexpr int kKeySize = 8;
constexpr const char* kHeaderName = "id";  // one header per record: the record index, 8 bytes
constexpr size_t kConsumeBatch = 1000;
// The mock drops a partition's oldest batches beyond 5 MiB (librdkafka's rdkafka_mock.c: a mock partition keeps 5 MiB).
constexpr int64_t kMockRetentionBytes = 5 << 20;
// Upper bounds of the v2 record-batch framing, for the retention estimate: per record (length,
// attributes, timestamp and offset deltas, key/value/header lengths, header count) and per batch.
constexpr int64_t kRecordFramingBytes = 16;
constexpr int64_t kBatchFramingBytes = 61;

Deadline Now() { return Clock::now(); }

bool OnKafka() { return !FLAGS_bootstrap_source.empty(); }

// Explicit CreateTime: the run's start + record index, so that a real broker's time retention keeps
// the records (a fixed date in the past would be deleted at its next retention check).
const int64_t kBaseTimestampMs =
    std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
double SecondsBetween(Deadline from, Deadline to) {
  return std::chrono::duration<double>(to - from).count();
}

// One topic of one value size in one round. The source topic is mirrored to `remote_topic`.
struct Workload {
  int value_size = 0;
  int round = 0;
  int partitions = 0;
  int64_t per_partition = 0;
  std::string topic;
  std::string remote_topic;

  int64_t records() const { return per_partition * partitions; }
  int64_t payload_bytes() const { return records() * (kKeySize + value_size); }  // key + value
  int64_t EstimatedPartitionBytes() const {
    const int64_t record = kRecordFramingBytes + kKeySize + value_size +
                           static_cast<int64_t>(std::strlen(kHeaderName)) + kKeySize;
    return per_partition * record + (per_partition / 100 + 1) * kBatchFramingBytes;
  }
};

// ---------------------------------------------------------------------------------------------------
// What children send back: fixed-size, trivially copyable, written with one write() (< PIPE_BUF).

struct PhaseReport {
  int32_t ok = 0;
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;          // wall time of the measured part
  double first_record_s = -1;  // from the phase start to the first record delivered/read/acknowledged
  int32_t slow = 0;            // Ferry only: the phase timed out; records and seconds are what it did in time
  int64_t fetcher_wakeups = 0;  // Ferry only: MirrorTaskStats::fetcher_wakeups
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  int64_t peak_rss_kb = 0;     // VmHWM, reset at the phase start where the kernel allows
  char text[2048] = {};        // the error, when !ok
};
static_assert(std::is_trivially_copyable_v<PhaseReport> && sizeof(PhaseReport) <= PIPE_BUF);

struct ClusterReport {
  int32_t ok = 0;
  char source[512] = {};
  char target[512] = {};
  char error[2048] = {};
};
static_assert(std::is_trivially_copyable_v<ClusterReport> && sizeof(ClusterReport) <= PIPE_BUF);

template <size_t N>
void SetText(char (&out)[N], const std::string& text) {
  const size_t n = std::min(text.size(), N - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// ---------------------------------------------------------------------------------------------------
// Pipes and child processes.

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe(fds) != 0) return Error::Internal(ErrnoText("pipe"));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly `size` bytes before `deadline`; end of file first means the writer died.
Result<> ReadAll(int fd, void* data, size_t size, Deadline deadline, const std::string& who) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Now()).count();
    if (left <= 0) return Error::Timeout(who + " sent no report in time");
    pollfd pfd{fd, POLLIN, 0};
    const int rc = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (rc < 0 && errno != EINTR) return Error::Internal(ErrnoText("poll"));
    if (rc <= 0) continue;
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Internal(ErrnoText("read"));
    if (n == 0) return Error::Internal(who + " exited without a report");
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Ok();
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// A forked child process with a report pipe (child → driver) and a control pipe (driver → child; the
// driver closing it is the child's cue to finish). Destroying a Child kills and reaps the process if
// it is still running.
class Child {
 public:
  // In the child, runs body(report_fd, control_fd) and _exits with its result; it never returns there.
  static Result<Child> Fork(std::string name, const std::function<int(int, int)>& body) {
    auto report = MakePipe();
    if (!report.ok()) return report.error();
    auto control = MakePipe();
    if (!control.ok()) return control.error();
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t driver = getpid();
    const pid_t pid = fork();
    if (pid < 0) return Error::Internal(ErrnoText("fork"));
    if (pid == 0) {
      // Die with the driver, even if it is killed; the check closes the race with an early death.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != driver) _exit(111);
      report->read.Close();
      control->write.Close();
      const int rc = body(report->write.get(), control->read.get());
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(rc);  // no destructors of the driver's objects run here
    }
    return Child(std::move(name), pid, std::move(report->read), std::move(control->write));
  }

  ~Child() { Kill(); }
  Child(Child&& other) noexcept
      : name_(std::move(other.name_)),
        pid_(std::exchange(other.pid_, -1)),
        report_(std::move(other.report_)),
        control_(std::move(other.control_)) {}
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  template <typename T>
  Result<T> ReadReport(Deadline deadline) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value{};
    FERRY_RETURN_IF_ERROR(ReadAll(report_.get(), &value, sizeof value, deadline, name_));
    return value;
  }

  void CloseControl() { control_.Close(); }

  // Waits until the child exits or `deadline` passes (then kills it). Fails unless it exited with 0.
  Result<> Wait(Deadline deadline) {
    while (pid_ > 0) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
        return Error::Internal(name_ + " ended with " + DescribeStatus(status));
      }
      if (r < 0 && errno != EINTR) {
        pid_ = -1;
        return Error::Internal(ErrnoText("waitpid"));
      }
      if (Now() >= deadline) {
        Kill();
        return Error::Timeout(name_ + " did not exit in time and was killed");
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return Ok();
  }

  // SIGKILL and reap; nothing once reaped.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  Child(std::string name, pid_t pid, Fd report, Fd control)
      : name_(std::move(name)), pid_(pid), report_(std::move(report)), control_(std::move(control)) {}

  std::string name_;
  pid_t pid_ = -1;
  Fd report_;
  Fd control_;
};

// ---------------------------------------------------------------------------------------------------
// Measuring a phase inside its own process.

int64_t ReadVmHwmKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Writing "5" to clear_refs resets the peak RSS to the current RSS (Linux ≥ 4.0), so the peak left
// over from before the fork (the driver's) does not count.
void ResetPeakRss() {
  Fd fd(open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0 || !WriteAll(fd.get(), "5", 1)) {
    LOG_FIRST_N(WARNING, 1) << "cannot reset the peak RSS; it includes what the driver touched";
  }
}

double ToSeconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

// Wall time, CPU time of all threads of this process, and peak RSS, between Start() and Stop().
class Meter {
 public:
  void Start() {
    ResetPeakRss();
    getrusage(RUSAGE_SELF, &start_usage_);
    start_ = Now();
  }
  void MarkFirstRecord() {
    if (!first_record_) first_record_ = Now();
  }
  void Stop(PhaseReport* report) const {
    const Deadline end = Now();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    report->seconds = SecondsBetween(start_, end);
    report->first_record_s = first_record_ ? SecondsBetween(start_, *first_record_) : -1;
    report->cpu_user_s = ToSeconds(usage.ru_utime) - ToSeconds(start_usage_.ru_utime);
    report->cpu_sys_s = ToSeconds(usage.ru_stime) - ToSeconds(start_usage_.ru_stime);
    report->peak_rss_kb = ReadVmHwmKb();
  }

 private:
  Deadline start_{};
  std::optional<Deadline> first_record_;
  rusage start_usage_{};
};

// ---------------------------------------------------------------------------------------------------
// The phases. Each runs in its own child process.

void EncodeIndex(int64_t index, char* out) {
  for (int i = kKeySize - 1; i >= 0; --i) {
    out[i] = static_cast<char>(index & 0xff);
    index >>= 8;
  }
}

struct DeliveryCounts {
  Meter* meter = nullptr;
  int64_t delivered = 0;
  int64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// Runs on the thread that calls rd_kafka_poll/flush: the phase's own thread.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* rkmessage, void* opaque) {
  auto* counts = static_cast<DeliveryCounts*>(opaque);
  if (rkmessage->err) {
    if (counts->failed++ == 0) counts->first_error = rkmessage->err;
    return;
  }
  ++counts->delivered;
  counts->meter->MarkFirstRecord();
}

// Phase 1: an idempotent, acks=all producer writes the workload to the source, round-robin over the
// partitions. Settings per performance-notes.md: bigger batches did not help against the mock, so the
// speed tuning is a producer queue large enough never to block, and delivery reports served inline.
Result<PhaseReport> RawProduce(const Workload& w, const std::string& bootstrap, Deadline deadline) {
  PhaseReport report;
  Meter meter;
  DeliveryCounts counts{.meter = &meter};
  std::string value(static_cast<size_t>(w.value_size), '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
  char key[kKeySize];

  meter.Start();
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER,
                             {{"bootstrap.servers", bootstrap},
                              {"enable.idempotence", "true"},
                              {"acks", "all"},
                              {"linger.ms", "5"},
                              {"queue.buffering.max.messages", "2000000"},
                              {"queue.buffering.max.kbytes", "2097152"},
                              {"compression.type", "none"}},
                             [&](rd_kafka_conf_t* conf) {
                               rd_kafka_conf_set_dr_msg_cb(conf, &OnDelivery);
                               rd_kafka_conf_set_opaque(conf, &counts);
                             });
  if (!rk.ok()) return rk.error();
  // Declared after the handle, so destroyed before it.
  kafka::TopicPtr rkt(rd_kafka_topic_new(rk->get(), w.topic.c_str(), nullptr));
  if (rkt == nullptr) return Error::Kafka("topic handle for " + w.topic, rd_kafka_last_error());

  for (int64_t i = 0; i < w.records(); ++i) {
    EncodeIndex(i, key);
    std::memcpy(value.data(), key, std::min<size_t>(kKeySize, value.size()));
    kafka::HeadersPtr headers(rd_kafka_headers_new(1));
    rd_kafka_header_add(headers.get(), kHeaderName, -1, key, kKeySize);
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk->get(), RD_KAFKA_V_RKT(rkt.get()),
          RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % w.partitions)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, kKeySize),
          RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_HEADERS(headers.get()),
          RD_KAFKA_V_TIMESTAMP(kBaseTimestampMs + i), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        headers.release();  // producev owns the headers once it has succeeded
        break;
      }
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Error::Kafka("produce to " + w.topic, err);
      if (Now() >= deadline) return Error::Timeout("raw produce: the producer queue stayed full");
      rd_kafka_poll(rk->get(), 10);
    }
    if (i % 1024 == 0) rd_kafka_poll(rk->get(), 0);
  }
  while (counts.delivered + counts.failed < w.records()) {
    if (Now() >= deadline) {
      return Error::Timeout("raw produce: " + std::to_string(counts.delivered) + " of " +
                            std::to_string(w.records()) + " records acknowledged in time");
    }
    rd_kafka_flush(rk->get(), 100);
  }
  meter.Stop(&report);
  if (counts.failed > 0) {
    return Error::Kafka("raw produce: " + std::to_string(counts.failed) + " records failed, first",
                        counts.first_error);
  }

  // Not timed: the data must all still be there for the next phases (the mock's retention).
  for (int p = 0; p < w.partitions; ++p) {
    auto marks = kafka::QueryWatermarks(rk->get(), {w.topic, p}, seconds(10));
    if (!marks.ok()) return marks.error();
    if (marks->low != 0 || marks->high != w.per_partition) {
      return Error::Corrupt(w.topic + "-" + std::to_string(p) + " holds offsets [" +
                            std::to_string(marks->low) + ", " + std::to_string(marks->high) +
                            ") after writing " + std::to_string(w.per_partition) +
                            " records; the mock keeps at most 5 MiB per partition, so lower "
                            "--records_per_partition_" + std::to_string(w.value_size));
    }
  }
  report.ok = 1;
  report.records = counts.delivered;
  report.bytes = w.payload_bytes();
  return report;
}

// Phase 2: an assigned consumer reads the source topic from the start with batch consume and the
// large queue that performance-notes.md found to be librdkafka's best on the mock.
Result<PhaseReport> RawConsume(const Workload& w, const std::string& bootstrap, Deadline deadline) {
  PhaseReport report;
  Meter meter;
  std::vector<int64_t> per_partition(static_cast<size_t>(w.partitions), 0);
  int64_t records = 0;
  int64_t bytes = 0;

  meter.Start();
  auto rk = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                 {"group.id", "ferry-bench-raw"},
                                                 {"enable.auto.commit", "false"},
                                                 {"enable.auto.offset.store", "false"},
                                                 {"enable.partition.eof", "false"},
                                                 {"queued.min.messages", "2000000"},
                                                 {"queued.max.messages.kbytes", "1048576"}});
  if (!rk.ok()) return rk.error();
  rd_kafka_poll_set_consumer(rk->get());
  // Leaders first: assigned before the client knows them, librdkafka 2.0.2 retries the log-start
  // lookup only after a fixed 500 ms, which would make the baseline measure a timer.
  auto partitions = kafka::PartitionCount(rk->get(), w.topic, seconds(10));
  if (!partitions.ok()) return partitions.error();
  if (*partitions != w.partitions) {
    return Error::Corrupt(w.topic + " has " + std::to_string(*partitions) + " partitions, expected " +
                          std::to_string(w.partitions));
  }
  kafka::PartitionsPtr assignment(rd_kafka_topic_partition_list_new(w.partitions));
  for (int p = 0; p < w.partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), w.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk->get(), assignment.get())) {
    return Error::Kafka("assign " + w.topic, err);
  }
  {
    kafka::QueuePtr queue(rd_kafka_queue_get_consumer(rk->get()));
    std::vector<rd_kafka_message_t*> batch(kConsumeBatch);
    while (records < w.records()) {
      if (Now() >= deadline) {
        return Error::Timeout("raw consume: " + std::to_string(records) + " of " +
                              std::to_string(w.records()) + " records read in time");
      }
      const ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 10, batch.data(), batch.size());
      if (n < 0) return Error::Kafka("consume batch", rd_kafka_last_error());
      std::optional<Error> failure;
      for (ssize_t j = 0; j < n; ++j) {
        kafka::MessagePtr msg(batch[static_cast<size_t>(j)]);
        if (msg->err) {
          if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !failure) {
            failure = Error::Kafka("consume " + w.topic, msg->err);
          }
          continue;
        }
        meter.MarkFirstRecord();
        ++records;
        bytes += static_cast<int64_t>(msg->key_len + msg->len);
        if (msg->partition >= 0 && msg->partition < w.partitions) {
          ++per_partition[static_cast<size_t>(msg->partition)];
        }
      }
      if (failure) return *failure;
    }
    meter.Stop(&report);
  }  // the consumer's queue goes before the consumer closes
  rd_kafka_consumer_close(rk->get());

  for (int p = 0; p < w.partitions; ++p) {
    if (per_partition[static_cast<size_t>(p)] != w.per_partition) {
      return Error::Corrupt("raw consume read " + std::to_string(per_partition[static_cast<size_t>(p)]) +
                            " records from " + w.topic + "-" + std::to_string(p) + ", expected " +
                            std::to_string(w.per_partition));
    }
  }
  if (bytes != w.payload_bytes()) {
    return Error::Corrupt("raw consume read " + std::to_string(bytes) + " key+value bytes, expected " +
                          std::to_string(w.payload_bytes()));
  }
  report.ok = 1;
  report.records = records;
  report.bytes = bytes;
  return report;
}

// Phase 3: Ferry's MirrorTask copies the topic from its log start, with Ferry's own defaults; timed
// from Start() until the target has acknowledged every record. A phase that does not finish by
// `deadline` is a slow round: its report says how far the task got in that time (`slow`).
Result<PhaseReport> FerryMirror(const Workload& w, const std::string& source, const std::string& target,
                                Deadline deadline) {
  PhaseReport report;
  Meter meter;
  tasks::MirrorTaskConfig config;
  config.name = "bench-" + w.topic;
  config.source_alias = kSourceAlias;
  config.source_consumer = {{"bootstrap.servers", source}};
  config.target_producer = {{"bootstrap.servers", target}};
  config.policy = std::make_shared<connectors::DefaultReplicationPolicy>();
  for (int p = 0; p < w.partitions; ++p) config.start_offsets[{w.topic, p}] = tasks::kFromLogStart;

  meter.Start();
  auto task = tasks::MirrorTask::Start(std::move(config), nullptr);
  if (!task.ok()) return task.error();
  tasks::MirrorTaskStats stats;
  const connectors::DefaultReplicationPolicy policy;
  const auto scrape_every = FLAGS_scrape_hz > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(1.0 / FLAGS_scrape_hz))
                                                : Clock::duration::max();
  auto next_scrape = Now();  // the first scrape at once: a round may last less than a period
  size_t scraped_bytes = 0;
  int scrapes = 0;
  for (;;) {
    stats = (*task)->Stats();
    if (FLAGS_scrape_hz > 0 && Now() >= next_scrape) {
      next_scrape += scrape_every;
      metrics::Exposition exposition;
      const int64_t now_ms = std::chrono::duration_cast<milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
      tasks::AddMirrorSourceMetrics(stats, kSourceAlias, "target", policy, now_ms, exposition);
      scraped_bytes += exposition.Text().size();
      ++scrapes;
    }
    if (stats.records > 0) meter.MarkFirstRecord();
    if (stats.records >= w.records()) break;
    if ((*task)->state() != tasks::MirrorTask::State::kRunning) {
      const auto failure = (*task)->failure();
      return Error::Internal("Ferry's task stopped after " + std::to_string(stats.records) +
                             " records: " + (failure ? failure->ToString() : "no failure recorded"));
    }
    if (Now() >= deadline) {
      meter.Stop(&report);
      (*task)->Stop();
      report.ok = 1;
      report.slow = 1;
      report.records = stats.records;
      report.bytes = stats.bytes;
      report.fetcher_wakeups = (*task)->Stats().fetcher_wakeups;
      SetText(report.text, "Ferry: " + std::to_string(stats.records) + " of " + std::to_string(w.records()) +
                               " records acknowledged in " + std::to_string(FLAGS_phase_timeout_s) + " s");
      return report;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  meter.Stop(&report);
  (*task)->Stop();
  report.fetcher_wakeups = (*task)->Stats().fetcher_wakeups;
  if (FLAGS_scrape_hz > 0) LOG(INFO) << "metrics scraped " << scrapes << " times (" << scraped_bytes << " bytes)";
  if (stats.records != w.records()) {
    return Error::Corrupt("Ferry acknowledged " + std::to_string(stats.records) + " records, expected " +
                          std::to_string(w.records()));
  }
  if (stats.bytes != w.payload_bytes()) {
    LOG(WARNING) << "Ferry counted " << stats.bytes << " key+value bytes, expected " << w.payload_bytes();
  }
  report.ok = 1;
  report.records = stats.records;
  report.bytes = w.payload_bytes();
  return report;
}

// After the Ferry phase: every target partition ends where its source partition ends, and both start
// at 0. Cheap, and it catches lost and duplicated records (Ferry's own tests check content).
Result<PhaseReport> CheckCopy(const Workload& w, const std::string& source, const std::string& target) {
  auto src = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", source}});
  if (!src.ok()) return src.error();
  auto tgt = kafka::NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", target}});
  if (!tgt.ok()) return tgt.error();
  std::string mismatches;
  for (int p = 0; p < w.partitions; ++p) {
    auto s = kafka::QueryWatermarks(src->get(), {w.topic, p}, seconds(10));
    if (!s.ok()) return s.error();
    auto t = kafka::QueryWatermarks(tgt->get(), {w.remote_topic, p}, seconds(10));
    if (!t.ok()) return t.error();
    if (s->low != 0 || s->high != w.per_partition || t->low != 0 || t->high != s->high) {
      mismatches += " partition " + std::to_string(p) + ": source [" + std::to_string(s->low) + ", " +
                    std::to_string(s->high) + "), target [" + std::to_string(t->low) + ", " +
                    std::to_string(t->high) + ");";
    }
  }
  if (!mismatches.empty()) {
    return Error::Corrupt(w.remote_topic + " is not a copy of " + w.topic + ":" + mismatches);
  }
  PhaseReport report;
  report.ok = 1;
  return report;
}

// ---------------------------------------------------------------------------------------------------
// The driver.

// The cluster process: both mock clusters, every topic created up front (the mock cannot add
// partitions later, and auto-creation would give 4), then wait for the driver.
int RunClusters(const std::vector<Workload>& workloads, int report_fd, int control_fd) {
  ClusterReport report;
  auto fail = [&](const Error& error) {
    SetText(report.error, error.ToString());
    return WriteAll(report_fd, &report, sizeof report) ? 1 : 2;
  };
  auto source = kafka::MockCluster::Start(kBrokers);
  if (!source.ok()) return fail(source.error());
  auto target = kafka::MockCluster::Start(kBrokers);
  if (!target.ok()) return fail(target.error());
  for (const Workload& w : workloads) {
    if (auto r = (*source)->CreateTopic(w.topic, w.partitions); !r.ok()) return fail(r.error());
    if (auto r = (*target)->CreateTopic(w.remote_topic, w.partitions); !r.ok()) return fail(r.error());
  }
  report.ok = 1;
  SetText(report.source, (*source)->bootstrap_servers());
  SetText(report.target, (*target)->bootstrap_servers());
  if (!WriteAll(report_fd, &report, sizeof report)) return 2;

  // Serve until the driver closes the control pipe or dies, within the run's limit.
  const Deadline deadline = Now() + seconds(FLAGS_max_runtime_s);
  while (Now() < deadline) {
    pollfd pfd{control_fd, POLLIN, 0};
    const int rc = poll(&pfd, 1, 1000);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    char byte;
    const ssize_t n = read(control_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  return 0;  // the clusters stop here, before _exit
}

// On Kafka (in a child process): creates `topics` with `partitions` each and the broker's default
// replication factor, refusing any that exists already, and waits until the metadata shows them.
Result<PhaseReport> CreateKafkaTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                                      int partitions) {
  auto admin = kafka::RdKafkaAdmin::Create({{"bootstrap.servers", bootstrap}}, seconds(60));
  if (!admin.ok()) return admin.error();
  std::vector<kafka::NewTopic> specs;
  for (const std::string& topic : topics) specs.push_back({topic, partitions, -1, {}});
  auto answers = (*admin)->CreateTopics(specs);
  if (!answers.ok()) return answers.error();
  for (const auto& [topic, answer] : *answers) {
    if (!answer.ok()) return answer.error();
    if (*answer == kafka::TopicCreation::kAlreadyExisted) {
      return Error::Conflict("topic " + topic + " already exists on " + bootstrap + "; the bench uses only its own");
    }
  }
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!rk.ok()) return rk.error();
  const Deadline deadline = Now() + seconds(60);
  for (const std::string& topic : topics) {
    for (;;) {
      auto count = kafka::PartitionCount(rk->get(), topic, seconds(10));
      if (count.ok() && *count == partitions) break;
      if (Now() >= deadline) return Error::Timeout("topic " + topic + " created but not in the metadata after 60 s");
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  PhaseReport report;
  report.ok = 1;
  return report;
}

// On Kafka (in a child process): deletes the run's own `topics`.
Result<PhaseReport> DeleteKafkaTopics(const std::string& bootstrap, const std::vector<std::string>& topics) {
  auto rk = kafka::NewClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!rk.ok()) return rk.error();
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const std::string& topic : topics) requests.push_back(rd_kafka_DeleteTopic_new(topic.c_str()));
  kafka::QueuePtr queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_DeleteTopics(rk->get(), requests.data(), requests.size(), nullptr, queue.get());
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  kafka::EventPtr event(rd_kafka_queue_poll(queue.get(), 60000));
  if (!event) return Error::Timeout("DeleteTopics on " + bootstrap + " got no answer in 60 s");
  if (rd_kafka_event_error(event.get())) {
    return Error::Kafka("DeleteTopics on " + bootstrap, rd_kafka_event_error(event.get()));
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &n);
  std::string failures;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(results[i])) {
      failures += std::string(" ") + rd_kafka_topic_result_name(results[i]) + ": " +
                  rd_kafka_err2str(rd_kafka_topic_result_error(results[i])) + ";";
    }
  }
  if (!failures.empty()) return Error::Internal("DeleteTopics on " + bootstrap + ":" + failures);
  PhaseReport report;
  report.ok = 1;
  return report;
}

// Runs `phase` in a child process and returns its report.
Result<PhaseReport> RunInChild(const std::string& name, const std::function<Result<PhaseReport>()>& phase) {
  auto child = Child::Fork(name, [&](int report_fd, int) {
    Result<PhaseReport> result = phase();
    PhaseReport report;
    if (result.ok()) {
      report = *result;
    } else {
      SetText(report.text, result.error().ToString());
    }
    return WriteAll(report_fd, &report, sizeof report) ? 0 : 1;
  });
  if (!child.ok()) return child.error();
  // The phase bounds itself by --phase_timeout_s; the margin covers its cleanup (Ferry's Stop()).
  const Deadline deadline = Now() + seconds(FLAGS_phase_timeout_s + 60);
  auto report = child->ReadReport<PhaseReport>(deadline);
  if (!report.ok()) return report.error();  // it names the child
  FERRY_RETURN_IF_ERROR(child->Wait(deadline));
  if (!report->ok) return Error::Internal(name + " failed: " + report->text);
  return *report;
}

struct Totals {
  int64_t records = 0;
  int64_t bytes = 0;
  double seconds = 0;
  double cpu_s = 0;
  int64_t peak_rss_kb = 0;

  void Add(const PhaseReport& r) {
    records += r.records;
    bytes += r.bytes;
    seconds += r.seconds;
    cpu_s += r.cpu_user_s + r.cpu_sys_s;
    peak_rss_kb = std::max(peak_rss_kb, r.peak_rss_kb);
  }
  double rate() const { return seconds > 0 ? records / seconds : 0; }
  double mb_per_s() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
  double us_per_record() const { return records > 0 ? cpu_s * 1e6 / records : 0; }
};

struct SizeResult {
  int value_size = 0;
  int64_t per_partition = 0;
  std::vector<Workload> rounds;  // one prepared topic per possible round
  Totals produce;
  Totals consume;
  Totals ferry;
  int rounds_run = 0;
  int slow_rounds = 0;  // the Ferry phase did not finish within --phase_timeout_s
  bool copy_ok = true;

  bool Enough() const {
    return rounds_run >= FLAGS_min_rounds && produce.seconds >= FLAGS_min_phase_seconds &&
           consume.seconds >= FLAGS_min_phase_seconds && ferry.seconds >= FLAGS_min_phase_seconds;
  }
};

struct Endpoints {
  std::string source;
  std::string target;
};

double PerSecond(const PhaseReport& r) { return r.seconds > 0 ? r.records / r.seconds : 0; }

void PrintPhaseRow(const Workload& w, const char* phase, const PhaseReport& r, double ratio = -1) {
  const double cpu = r.cpu_user_s + r.cpu_sys_s;
  std::printf("%5d B  %5d  %-12s %9lld %8.3f %8.1f %11.0f %8.1f %7.3f %7.3f %7.2f %9.1f", w.value_size,
              w.round, phase, static_cast<long long>(r.records), r.seconds, r.first_record_s * 1e3,
              PerSecond(r), r.seconds > 0 ? r.bytes / r.seconds / 1e6 : 0, r.cpu_user_s, r.cpu_sys_s,
              r.records > 0 ? cpu * 1e6 / r.records : 0, r.peak_rss_kb / 1024.0);
  if (ratio >= 0) std::printf("  %14.2f", ratio);
  if (r.fetcher_wakeups > 0) std::printf("  wakeups=%lld", static_cast<long long>(r.fetcher_wakeups));
  if (r.slow) std::printf("  SLOW: %s", r.text);
  std::printf("\n");
  std::fflush(stdout);
}

// One round on fresh topics: raw produce (which also fills the source topic), raw consume, Ferry, and
// the copy check. A phase that fails ends the run; a Ferry phase that does not finish in time is a slow
// round, and a copy that does not match is recorded: the run goes on, so that every number still gets
// printed.
Result<> RunRound(const Workload& w, const Endpoints& clusters, SizeResult* size) {
  const auto deadline = [] { return Now() + seconds(FLAGS_phase_timeout_s); };
  auto produce = RunInChild("raw produce " + w.topic,
                            [&] { return RawProduce(w, clusters.source, deadline()); });
  if (!produce.ok()) return produce.error();
  PrintPhaseRow(w, "raw produce", *produce);

  auto consume = RunInChild("raw consume " + w.topic,
                            [&] { return RawConsume(w, clusters.source, deadline()); });
  if (!consume.ok()) return consume.error();
  PrintPhaseRow(w, "raw consume", *consume);

  auto ferry = RunInChild("Ferry mirror " + w.topic,
                          [&] { return FerryMirror(w, clusters.source, clusters.target, deadline()); });
  if (!ferry.ok()) return ferry.error();
  PrintPhaseRow(w, "Ferry", *ferry, PerSecond(*ferry) / std::min(PerSecond(*produce), PerSecond(*consume)));
  size->produce.Add(*produce);
  size->consume.Add(*consume);
  size->ferry.Add(*ferry);  // a slow round counts with what it copied in its time
  ++size->rounds_run;
  if (ferry->slow) {
    // The task stopped part-way: the target is not a whole copy, so there is nothing to check.
    ++size->slow_rounds;
    return Ok();
  }

  auto check = RunInChild("copy check " + w.remote_topic,
                          [&] { return CheckCopy(w, clusters.source, clusters.target); });
  if (!check.ok()) {
    std::printf("COPY CHECK FAILED: %s\n", check.error().ToString().c_str());
    size->copy_ok = false;
  }
  return Ok();
}

std::string FormatRate(double per_s) {
  char buf[32];
  if (per_s >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", per_s / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fk", per_s / 1e3);
  }
  return buf;
}

std::string WithCommas(int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

void PrintSummary(const std::vector<SizeResult>& sizes, unsigned cpus) {
  const auto cell = [](const Totals& t) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s/s %.0f MB/s %.2fs", FormatRate(t.rate()).c_str(), t.mb_per_s(),
                  t.seconds);
    return std::string(buf);
  };
  std::printf("\nSummary per value size: rate = all records / all measured time of that phase\n");
  std::printf("%7s  %6s  %-26s %-26s %-26s %14s  %-22s %8s  %s\n", "value", "rounds", "raw produce",
              "raw consume", "Ferry", "ferry/min(raw)", "Ferry CPU", "Ferry RSS", "copy");
  std::vector<std::string> doc_rows;
  for (const SizeResult& s : sizes) {
    if (s.rounds_run == 0) continue;
    const double ratio = s.ferry.rate() / std::min(s.produce.rate(), s.consume.rate());
    char cpu[64];
    std::snprintf(cpu, sizeof cpu, "%.2f s, %.2f us/rec", s.ferry.cpu_s, s.ferry.us_per_record());
    std::printf("%5d B  %6d  %-26s %-26s %-26s %14.2f  %-22s %4.0f MiB  %s%s%s\n", s.value_size, s.rounds_run,
                cell(s.produce).c_str(), cell(s.consume).c_str(), cell(s.ferry).c_str(), ratio, cpu,
                s.ferry.peak_rss_kb / 1024.0, s.copy_ok ? "ok" : "MISMATCH",
                s.Enough() ? "" : "  (short: --max_rounds reached before --min_phase_seconds)",
                s.slow_rounds == 0 ? "" : ("  (" + std::to_string(s.slow_rounds) + " slow round(s) included)").c_str());

    char row[512];
    std::snprintf(row, sizeof row,
                  "| %s B | %d × %d × %s | %s msg/s, %.0f MB/s | %s msg/s, %.0f MB/s | %s msg/s, %.0f MB/s | "
                  "%.2f | %.2f µs/record | %.0f MiB |",
                  WithCommas(s.value_size).c_str(), s.rounds_run, s.rounds.front().partitions,
                  WithCommas(s.per_partition).c_str(), FormatRate(s.produce.rate()).c_str(),
                  s.produce.mb_per_s(), FormatRate(s.consume.rate()).c_str(), s.consume.mb_per_s(),
                  FormatRate(s.ferry.rate()).c_str(), s.ferry.mb_per_s(), ratio, s.ferry.us_per_record(),
                  s.ferry.peak_rss_kb / 1024.0);
    doc_rows.push_back(row);
  }
  std::printf("\nFor docs/performance.md (librdkafka %s, %u CPUs, %s):\n", rd_kafka_version_str(), cpus,
              OnKafka() ? ("two Kafka clusters, source " + FLAGS_bootstrap_source + ", target " +
                           FLAGS_bootstrap_target).c_str()
                        : "two 3-broker mock clusters");
  std::printf("| value | rounds × partitions × records | raw produce | raw consume | Ferry | "
              "Ferry ÷ min(raw) | Ferry CPU | Ferry peak RSS |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const std::string& row : doc_rows) std::printf("%s\n", row.c_str());
  std::fflush(stdout);
}

int Main() {
  if (FLAGS_partitions < 1 || FLAGS_min_rounds < 1 || FLAGS_max_rounds < FLAGS_min_rounds ||
      FLAGS_min_phase_seconds < 0 || FLAGS_phase_timeout_s < 1 || FLAGS_max_runtime_s < 1 ||
      FLAGS_records_per_partition_100 < 1 || FLAGS_records_per_partition_1000 < 1) {
    std::fprintf(stderr, "mirror_bench: counts and timeouts must be positive, and "
                         "--max_rounds at least --min_rounds\n");
    return 2;
  }
  if (FLAGS_bootstrap_source.empty() != FLAGS_bootstrap_target.empty() ||
      (OnKafka() && FLAGS_bootstrap_source == FLAGS_bootstrap_target)) {
    std::fprintf(stderr, "mirror_bench: give both --bootstrap-source and --bootstrap-target (two different "
                         "clusters), or neither for the mock clusters\n");
    return 2;
  }
  // On Kafka the run's topics get a suffix new to the run: the clusters may hold anything.
  std::string suffix;
  if (OnKafka()) {
    char buf[10];
    std::snprintf(buf, sizeof buf, "-%08x", static_cast<unsigned>(std::random_device{}()));
    suffix = buf;
  }
  const connectors::DefaultReplicationPolicy policy;
  std::vector<SizeResult> sizes;
  for (const auto& [value_size, per_partition] :
       {std::pair<int, int64_t>{100, FLAGS_records_per_partition_100},
        std::pair<int, int64_t>{1000, FLAGS_records_per_partition_1000}}) {
    SizeResult& size = sizes.emplace_back();
    size.value_size = value_size;
    size.per_partition = per_partition;
    for (int round = 1; round <= FLAGS_max_rounds; ++round) {
      Workload& w = size.rounds.emplace_back();
      w.value_size = value_size;
      w.round = round;
      w.partitions = FLAGS_partitions;
      w.per_partition = per_partition;
      w.topic = "bench" + std::to_string(value_size) + suffix + (round > 1 ? "-r" + std::to_string(round) : "");
      w.remote_topic = policy.FormatRemoteTopic(kSourceAlias, w.topic);
    }
    const Workload& w = size.rounds.front();
    if (!OnKafka() && w.EstimatedPartitionBytes() >= kMockRetentionBytes) {
      std::fprintf(stderr,
                   "mirror_bench: %lld records of %d B per partition take about %.2f MiB, but the mock "
                   "keeps at most 5 MiB per partition; lower --records_per_partition_%d\n",
                   static_cast<long long>(per_partition), value_size, w.EstimatedPartitionBytes() / 1048576.0,
                   value_size);
      return 2;
    }
  }

  const unsigned cpus = std::thread::hardware_concurrency();
  const std::string where =
      OnKafka() ? "two Kafka clusters (source " + FLAGS_bootstrap_source + ", target " + FLAGS_bootstrap_target + ")"
                : "two mock clusters of " + std::to_string(kBrokers) + " brokers on loopback in their own process";
  std::printf("mirror_bench: librdkafka %s, %u CPUs, %s, %d partitions per topic, %d..%d rounds per size until "
              "each phase has run %.1f s in total\n",
              rd_kafka_version_str(), cpus, where.c_str(), FLAGS_partitions, FLAGS_min_rounds, FLAGS_max_rounds,
              FLAGS_min_phase_seconds);
  std::printf("records: %d-byte key, one header (%s, 8 bytes), explicit CreateTime. MB = 10^6 bytes of "
              "key+value. time: from client creation to the last record; first_ms: to the first record. "
              "user/sys/peak: the phase's own process (peak = VmHWM)\n\n",
              kKeySize, kHeaderName);

  const Deadline run_deadline = Now() + seconds(FLAGS_max_runtime_s);
  std::optional<Child> clusters;  // the mock clusters' process
  Endpoints endpoints{FLAGS_bootstrap_source, FLAGS_bootstrap_target};
  std::vector<std::string> source_topics, target_topics;  // on Kafka: the run's, deleted at the end
  if (OnKafka()) {
    for (const SizeResult& size : sizes) {
      for (const Workload& w : size.rounds) {
        source_topics.push_back(w.topic);
        target_topics.push_back(w.remote_topic);
      }
    }
    for (const auto& [bootstrap, topics] : {std::pair{endpoints.source, source_topics},
                                            std::pair{endpoints.target, target_topics}}) {
      auto made = RunInChild("topic setup on " + bootstrap,
                             [&] { return CreateKafkaTopics(bootstrap, topics, FLAGS_partitions); });
      if (!made.ok()) {
        std::fprintf(stderr, "mirror_bench: %s\n", made.error().ToString().c_str());
        return 1;
      }
    }
  } else {
    auto forked = Child::Fork("cluster process", [&](int report_fd, int control_fd) {
      std::vector<Workload> workloads;
      for (const SizeResult& size : sizes) workloads.insert(workloads.end(), size.rounds.begin(), size.rounds.end());
      return RunClusters(workloads, report_fd, control_fd);
    });
    if (!forked.ok()) {
      std::fprintf(stderr, "mirror_bench: %s\n", forked.error().ToString().c_str());
      return 1;
    }
    clusters.emplace(std::move(*forked));
    auto info = clusters->ReadReport<ClusterReport>(Now() + seconds(60));
    if (!info.ok() || !info->ok) {
      std::fprintf(stderr, "mirror_bench: cannot start the mock clusters: %s\n",
                   info.ok() ? info->error : info.error().ToString().c_str());
      return 1;
    }
    endpoints = {info->source, info->target};
  }
  // On Kafka, the run's topics go on every exit path from here.
  auto delete_topics = [&] {
    for (const auto& [bootstrap, topics] : {std::pair{endpoints.source, source_topics},
                                            std::pair{endpoints.target, target_topics}}) {
      if (topics.empty()) continue;
      auto deleted = RunInChild("topic cleanup on " + bootstrap, [&] { return DeleteKafkaTopics(bootstrap, topics); });
      if (!deleted.ok()) std::fprintf(stderr, "mirror_bench: %s\n", deleted.error().ToString().c_str());
    }
  };

  std::printf("%7s  %5s  %-12s %9s %8s %8s %11s %8s %7s %7s %7s %9s  %14s\n", "value", "round", "phase",
              "records", "time_s", "first_ms", "msgs/s", "MB/s", "user_s", "sys_s", "us/rec", "peak_MiB",
              "ferry/min(raw)");
  for (SizeResult& size : sizes) {
    for (const Workload& w : size.rounds) {
      if (Now() >= run_deadline) {
        std::fprintf(stderr, "mirror_bench: --max_runtime_s passed\n");
        delete_topics();
        return 1;
      }
      if (auto r = RunRound(w, endpoints, &size); !r.ok()) {
        std::fprintf(stderr, "mirror_bench: %s\n", r.error().ToString().c_str());
        delete_topics();
        return 1;
      }
      if (size.Enough()) break;
    }
  }
  PrintSummary(sizes, cpus);

  delete_topics();
  if (clusters) {
    clusters->CloseControl();
    if (auto r = clusters->Wait(Now() + seconds(60)); !r.ok()) {
      std::fprintf(stderr, "mirror_bench: %s\n", r.error().ToString().c_str());
    }
  }
  const bool copies_ok =
      std::all_of(sizes.begin(), sizes.end(), [](const SizeResult& s) { return s.copy_ok; });
  if (!copies_ok) {
    std::fprintf(stderr, "mirror_bench: FAILED: a target topic is not a copy of its source (see above)\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ferry::bench

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;  // warnings and errors; --minloglevel=0 shows Ferry's INFO logs
  gflags::SetUsageMessage(
      "Raw librdkafka produce and consume vs Ferry's MirrorTask, on the same two mock clusters (or two Kafka "
      "clusters: --bootstrap-source, --bootstrap-target)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  signal(SIGPIPE, SIG_IGN);  // a dead child shows up as a failed write, not as our death
  return ferry::bench::Main();
}
