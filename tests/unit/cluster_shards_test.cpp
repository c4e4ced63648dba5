// parse_cluster_shards(): CLUSTER SHARDS replies, real ones captured from
// local clusters and synthetic ones for what a healthy cluster never sends,
// turned into the slot ranges parse_cluster_slots() gives. No server.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"
#include "rediscluster/resp.hpp"
#include "support/error_of.hpp"

namespace rediscluster {
namespace {

// ---------------------------------------------------------------------------
// Replies captured byte for byte from redis-server 7.0.15 started with
// scripts/local-cluster (asked on 127.0.0.1, so that is the responder).

// A fresh 3-master/3-replica cluster (ports 7800..7805): CLUSTER SHARDS, RESP2.
constexpr std::string_view kShardsResp2 =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n"
    ":140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n"
    ":140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\n"
    "nodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n"
    ":7801\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n"
    "$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n$4\r\nport\r\n:7805\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n"
    ":16383\r\n$5\r\nnodes\r\n*2\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n$4\r\nport\r\n:7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n"
    ":140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "6008d451a9f43af67f725218c4a937b4768521d9\r\n$4\r\nport\r\n:7803\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n"
    ":140\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster, same command after HELLO 3 (maps instead of flat arrays).
constexpr std::string_view kShardsResp3 =
    "*3\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n%7\r\n$2\r\nid\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n"
    ":154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%7\r\n$2\r\nid\r\n$40\r\n"
    "94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n"
    ":154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%2\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\n"
    "nodes\r\n*2\r\n%7\r\n$2\r\nid\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n"
    ":7801\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%7\r\n$2\r\nid\r\n"
    "$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n$4\r\nport\r\n:7805\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%2\r\n$5\r\nslots\r\n*2\r\n:10923\r\n"
    ":16383\r\n$5\r\nnodes\r\n*2\r\n%7\r\n$2\r\nid\r\n$40\r\n69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n"
    "$4\r\nport\r\n:7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%7\r\n"
    "$2\r\nid\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n$4\r\nport\r\n:7803\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:154\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster: CLUSTER SLOTS.
constexpr std::string_view kSlotsResp2 =
    "*3\r\n*4\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:7800\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n:7804\r\n$40\r\n"
    "94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*0\r\n*4\r\n:5461\r\n:10922\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":7801\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n:7805\r\n"
    "$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n*0\r\n*4\r\n:10923\r\n:16383\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:7802\r\n$40\r\n69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n*0\r\n*4\r\n$9\r\n"
    "127.0.0.1\r\n:7803\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n*0\r\n";

// cluster-announce-hostname node-<port>.test on every node but 7805, and
// cluster-preferred-endpoint-type hostname on 7800, the responder: 7805's
// endpoint is "?".
constexpr std::string_view kHostnameShards =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$14\r\nnode-7800.test\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:602\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*16\r\n$2\r\n"
    "id\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$14\r\nnode-7804.test\r\n$8\r\nhostname\r\n$14\r\nnode-7804.test\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:588\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n:10922\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n"
    "58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n:7801\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$14\r\nnode-7801.test\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:588\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*14\r\n$2\r\n"
    "id\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n$4\r\nport\r\n:7805\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$1\r\n?\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:588\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n"
    ":16383\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n"
    "69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n$4\r\nport\r\n:7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$14\r\nnode-7802.test\r\n$8\r\nhostname\r\n$14\r\nnode-7802.test\r\n$4\r\nrole\r\n"
    "$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:588\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*16\r\n$2\r\n"
    "id\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n$4\r\nport\r\n:7803\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$14\r\nnode-7803.test\r\n$8\r\nhostname\r\n$14\r\nnode-7803.test\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:602\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster: CLUSTER SLOTS.
constexpr std::string_view kHostnameSlots =
    "*3\r\n*4\r\n:0\r\n:5460\r\n*4\r\n$14\r\nnode-7800.test\r\n:7800\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*4\r\n$14\r\n"
    "node-7804.test\r\n:7804\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*2\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n*4\r\n:5461\r\n:10922\r\n*4\r\n$14\r\nnode-7801.test\r\n:7801\r\n$40\r\n"
    "58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*4\r\n$1\r\n?\r\n"
    ":7805\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "*4\r\n:10923\r\n:16383\r\n*4\r\n$14\r\nnode-7802.test\r\n:7802\r\n$40\r\n"
    "69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n*4\r\n$14\r\n"
    "node-7803.test\r\n:7803\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n*2\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n";

// Slot 100 and 10923..16383 moved to 7801 (DELSLOTS/ADDSLOTS): 7800 serves two
// ranges, 7801 two, 7802 (with replica 7803) none.
constexpr std::string_view kReshapedShards =
    "*3\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\n"
    "id\r\n$40\r\n649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1022\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*16\r\n$2\r\nid\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\n"
    "node-7804.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:1008\r\n$6\r\n"
    "health\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:16383\r\n$5\r\n"
    "nodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n"
    ":7801\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n"
    "$14\r\nnode-7801.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1008\r\n$6\r\n"
    "health\r\n$6\r\nonline\r\n*14\r\n$2\r\nid\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n"
    "$4\r\nport\r\n:7805\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:1008\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n"
    "69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n$4\r\nport\r\n:7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
    "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7802.test\r\n$4\r\nrole\r\n$6\r\n"
    "master\r\n$18\r\nreplication-offset\r\n:1008\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*16\r\n$2\r\nid\r\n"
    "$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n$4\r\nport\r\n:7803\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7803.test\r\n$4\r\n"
    "role\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:1008\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same, after HELLO 3.
constexpr std::string_view kReshapedShardsResp3 =
    "*3\r\n%2\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n%8\r\n$2\r\n"
    "id\r\n$40\r\n649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1036\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%8\r\n"
    "$2\r\nid\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7804.test\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:1022\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n%2\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n%8\r\n"
    "$2\r\nid\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n:7801\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n"
    "$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1022\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "%7\r\n$2\r\nid\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n$4\r\nport\r\n:7805\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:1022\r\n$6\r\nhealth\r\n$6\r\nonline\r\n%2\r\n$5\r\nslots\r\n*0\r\n$5\r\n"
    "nodes\r\n*2\r\n%8\r\n$2\r\nid\r\n$40\r\n69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n$4\r\nport\r\n"
    ":7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n"
    "$14\r\nnode-7802.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1022\r\n$6\r\n"
    "health\r\n$6\r\nonline\r\n%8\r\n$2\r\nid\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n"
    "$4\r\nport\r\n:7803\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-7803.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n"
    ":1022\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster: CLUSTER SLOTS.
constexpr std::string_view kReshapedSlots =
    "*4\r\n*4\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:7800\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7804\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*2\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-7804.test\r\n*4\r\n:100\r\n:100\r\n*4\r\n$9\r\n127.0.0.1\r\n:7801\r\n$40\r\n"
    "58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7805\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n*0\r\n*4\r\n:101\r\n"
    ":5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:7800\r\n$40\r\n649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*2\r\n"
    "$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n*4\r\n$9\r\n127.0.0.1\r\n:7804\r\n$40\r\n"
    "94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7804.test\r\n*4\r\n"
    ":5461\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7801\r\n$40\r\n"
    "58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7805\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n*0\r\n";

// Then master 7800 (its replica set to cluster-replica-no-failover) and
// replica 7805 killed; asked 7801 once both were marked failed. Redis 7.0
// says health "fail".
constexpr std::string_view kFailedShards =
    "*3\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:99\r\n:101\r\n:5460\r\n$5\r\nnodes\r\n*2\r\n*16\r\n$2\r\n"
    "id\r\n$40\r\n649d18c225d67f663cd7923dde636cd5f5f3c699\r\n$4\r\nport\r\n:7800\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n$4\r\n"
    "role\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1078\r\n$6\r\nhealth\r\n$4\r\nfail\r\n*16\r\n"
    "$2\r\nid\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n$4\r\nport\r\n:7804\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7804.test\r\n"
    "$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:1092\r\n$6\r\nhealth\r\n$6\r\n"
    "online\r\n*4\r\n$5\r\nslots\r\n*4\r\n:100\r\n:100\r\n:5461\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n*16\r\n"
    "$2\r\nid\r\n$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n$4\r\nport\r\n:7801\r\n$2\r\nip\r\n"
    "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n"
    "$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1092\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
    "*14\r\n$2\r\nid\r\n$40\r\nbb318571d1937e411fa58c65921941c05884adf5\r\n$4\r\nport\r\n:7805\r\n$2\r\n"
    "ip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\n"
    "replication-offset\r\n:1092\r\n$6\r\nhealth\r\n$4\r\nfail\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\n"
    "nodes\r\n*2\r\n*16\r\n$2\r\nid\r\n$40\r\n69ed90db086f77f6545eef32d553cd63e4b3ebbe\r\n$4\r\nport\r\n"
    ":7802\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\nhostname\r\n"
    "$14\r\nnode-7802.test\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:1246\r\n$6\r\n"
    "health\r\n$6\r\nonline\r\n*16\r\n$2\r\nid\r\n$40\r\n6008d451a9f43af67f725218c4a937b4768521d9\r\n"
    "$4\r\nport\r\n:7803\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-7803.test\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n"
    ":1246\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster: CLUSTER SLOTS (leaves out the failed replica too).
constexpr std::string_view kFailedSlots =
    "*4\r\n*4\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:7800\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7804\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*2\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-7804.test\r\n*3\r\n:100\r\n:100\r\n*4\r\n$9\r\n127.0.0.1\r\n:7801\r\n$40\r\n"
    "58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n*4\r\n"
    ":101\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:7800\r\n$40\r\n"
    "649d18c225d67f663cd7923dde636cd5f5f3c699\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7800.test\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7804\r\n$40\r\n94baa84bdfb981caced1b3822fde3994769b5ab3\r\n*2\r\n$8\r\n"
    "hostname\r\n$14\r\nnode-7804.test\r\n*3\r\n:5461\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7801\r\n"
    "$40\r\n58fc95fb6f6d7e7be44c6e1656a08021eecf6ac4\r\n*2\r\n$8\r\nhostname\r\n$14\r\nnode-7801.test\r\n";

// A TLS-only cluster (port 0, tls-port 7810..7812, 3 masters, no replicas):
// CLUSTER SHARDS announces only "tls-port".
constexpr std::string_view kTlsShards =
    "*3\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:5460\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "4803f8af033f96d43a488625b82a27066dca7411\r\n$8\r\ntls-port\r\n:7810\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:5461\r\n"
    ":10922\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "ed2dde77c74ebe22ef43db2903a63c43e06722e0\r\n$8\r\ntls-port\r\n:7811\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:10923\r\n"
    ":16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\n"
    "125369b77f31dfb8b1d6645735b925f5dae82818\r\n$8\r\ntls-port\r\n:7812\r\n$2\r\nip\r\n$9\r\n"
    "127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\n"
    "replication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";

// The same cluster, CLUSTER SLOTS over TLS.
constexpr std::string_view kTlsSlots =
    "*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:7810\r\n$40\r\n"
    "4803f8af033f96d43a488625b82a27066dca7411\r\n*0\r\n*3\r\n:5461\r\n:10922\r\n*4\r\n$9\r\n127.0.0.1\r\n"
    ":7811\r\n$40\r\ned2dde77c74ebe22ef43db2903a63c43e06722e0\r\n*0\r\n*3\r\n:10923\r\n:16383\r\n*4\r\n"
    "$9\r\n127.0.0.1\r\n:7812\r\n$40\r\n125369b77f31dfb8b1d6645735b925f5dae82818\r\n*0\r\n";


// ---------------------------------------------------------------------------
// Helpers

// The one reply in `bytes`, through the parser a connection uses.
Reply parse_bytes(std::string_view bytes) {
    ReplyParser parser;
    parser.feed(bytes);
    auto reply = parser.next();
    EXPECT_TRUE(reply.has_value()) << "incomplete reply";
    EXPECT_EQ(parser.buffered(), 0u) << "bytes left after the reply";
    return reply ? std::move(*reply) : Reply();
}

// Ranges compared the way a client uses them: slot by slot, whatever the
// order and split of the ranges (CLUSTER SLOTS lists by slot, CLUSTER
// SHARDS by shard).
std::vector<SlotRange> normalized(const std::vector<SlotRange>& ranges) { return SlotTable(ranges).ranges(); }

enum class Form { resp2, resp3 };

using Fields = std::vector<std::pair<std::string, Reply>>;

// A map in either protocol: RESP3 sends a map, RESP2 a flat array.
Reply map_of(Fields fields, Form form) {
    std::vector<Reply> flat;
    for (auto& [key, value] : fields) {
        flat.push_back(Reply::bulk_string(key));
        flat.push_back(std::move(value));
    }
    return form == Form::resp3 ? Reply::map(std::move(flat)) : Reply::array(std::move(flat));
}

Reply str(std::string_view text) { return Reply::bulk_string(text); }
Reply num(std::int64_t value) { return Reply::integer(value); }

// The fields Redis 7.0 sends for a node with a plaintext port.
Fields node_fields(std::string_view endpoint, std::int64_t port, std::string_view role,
                   std::string_view health = "online") {
    return {{"id", str("0123456789abcdef0123456789abcdef01234567")},
            {"port", num(port)},
            {"ip", str("10.0.0.1")},
            {"endpoint", str(endpoint)},
            {"role", str(role)},
            {"replication-offset", num(4242)},
            {"health", str(health)}};
}

Reply node(std::string_view endpoint, std::int64_t port, std::string_view role, std::string_view health = "online",
           Form form = Form::resp2) {
    return map_of(node_fields(endpoint, port, role, health), form);
}

Reply shard(const std::vector<std::int64_t>& slots, std::vector<Reply> nodes, Form form = Form::resp2) {
    std::vector<Reply> slot_numbers;
    for (const auto slot : slots) slot_numbers.push_back(num(slot));
    return map_of({{"slots", Reply::array(std::move(slot_numbers))}, {"nodes", Reply::array(std::move(nodes))}},
                  form);
}

Reply shards(std::vector<Reply> items) { return Reply::array(std::move(items)); }

NodeInfo master_at(std::string host, std::uint16_t port) { return make_node(std::move(host), port, "master"); }
NodeInfo replica_at(std::string host, std::uint16_t port) { return make_node(std::move(host), port, "slave"); }

std::string error_of(const Reply& reply) {
    return test::error_of<ProtocolError>([&] { (void)parse_cluster_shards(reply, "10.9.9.9"); });
}

// ---------------------------------------------------------------------------
// Real replies

TEST(ParseClusterShards, RealThreeMastersThreeReplicas) {
    const auto ranges = parse_cluster_shards(parse_bytes(kShardsResp2), "127.0.0.1");
    const std::vector<SlotRange> expected{
        {0, 5460, master_at("127.0.0.1", 7800), {replica_at("127.0.0.1", 7804)}},
        {5461, 10922, master_at("127.0.0.1", 7801), {replica_at("127.0.0.1", 7805)}},
        {10923, 16383, master_at("127.0.0.1", 7802), {replica_at("127.0.0.1", 7803)}},
    };
    EXPECT_EQ(ranges, expected);
    EXPECT_EQ(SlotTable(ranges).size(), 16384u);
}

TEST(ParseClusterShards, RealResp3MapsGiveTheSameRanges) {
    const auto resp3 = parse_bytes(kShardsResp3);
    ASSERT_EQ(resp3[0].type(), ReplyType::Map);  // what the test is about
    EXPECT_EQ(parse_cluster_shards(resp3, "127.0.0.1"), parse_cluster_shards(parse_bytes(kShardsResp2), "127.0.0.1"));
    EXPECT_EQ(parse_cluster_shards(parse_bytes(kReshapedShardsResp3), "127.0.0.1"),
              parse_cluster_shards(parse_bytes(kReshapedShards), "127.0.0.1"));
}

TEST(ParseClusterShards, RealHostnameEndpointsAndAnUnknownOne) {
    const auto ranges = parse_cluster_shards(parse_bytes(kHostnameShards), "127.0.0.1");
    const std::vector<SlotRange> expected{
        {0, 5460, master_at("node-7800.test", 7800), {replica_at("node-7804.test", 7804)}},
        // 7805 has no hostname, so its endpoint is "?" and it is left out.
        {5461, 10922, master_at("node-7801.test", 7801), {}},
        {10923, 16383, master_at("node-7802.test", 7802), {replica_at("node-7803.test", 7803)}},
    };
    EXPECT_EQ(ranges, expected);
}

TEST(ParseClusterShards, RealShardWithoutSlotsAndShardsWithSeveralRanges) {
    const auto ranges = parse_cluster_shards(parse_bytes(kReshapedShards), "127.0.0.1");
    // In the reply's order: one range per start/end pair; 7802's shard,
    // which serves no slot, gives none.
    const std::vector<SlotRange> expected{
        {0, 99, master_at("127.0.0.1", 7800), {replica_at("127.0.0.1", 7804)}},
        {101, 5460, master_at("127.0.0.1", 7800), {replica_at("127.0.0.1", 7804)}},
        {100, 100, master_at("127.0.0.1", 7801), {replica_at("127.0.0.1", 7805)}},
        {5461, 16383, master_at("127.0.0.1", 7801), {replica_at("127.0.0.1", 7805)}},
    };
    EXPECT_EQ(ranges, expected);
    const SlotTable table(ranges);
    EXPECT_EQ(table.size(), 16384u);
    EXPECT_EQ(table.shard_count(), 2u);
    EXPECT_EQ(table.master(100)->port, 7801);
}

TEST(ParseClusterShards, RealFailedReplicaLeftOutFailedMasterKept) {
    const auto ranges = parse_cluster_shards(parse_bytes(kFailedShards), "127.0.0.1");
    const std::vector<SlotRange> expected{
        {0, 99, master_at("127.0.0.1", 7800), {replica_at("127.0.0.1", 7804)}},
        {101, 5460, master_at("127.0.0.1", 7800), {replica_at("127.0.0.1", 7804)}},
        {100, 100, master_at("127.0.0.1", 7801), {}},
        {5461, 16383, master_at("127.0.0.1", 7801), {}},
    };
    EXPECT_EQ(ranges, expected);
}

TEST(ParseClusterShards, RealTlsOnlyClusterUsesTheTlsPort) {
    const auto ranges = parse_cluster_shards(parse_bytes(kTlsShards), "127.0.0.1");
    const std::vector<SlotRange> expected{
        {0, 5460, master_at("127.0.0.1", 7810), {}},
        {5461, 10922, master_at("127.0.0.1", 7811), {}},
        {10923, 16383, master_at("127.0.0.1", 7812), {}},
    };
    EXPECT_EQ(normalized(ranges), expected);
}

TEST(ParseClusterShards, SameSlotMapAsClusterSlotsOnTheSameCluster) {
    const std::pair<std::string_view, std::string_view> pairs[] = {
        {kShardsResp2, kSlotsResp2},         {kShardsResp3, kSlotsResp2},       {kHostnameShards, kHostnameSlots},
        {kReshapedShards, kReshapedSlots},   {kFailedShards, kFailedSlots},     {kTlsShards, kTlsSlots},
    };
    for (const auto& [shards_bytes, slots_bytes] : pairs) {
        const auto from_shards = parse_cluster_shards(parse_bytes(shards_bytes), "127.0.0.1");
        const auto from_slots = parse_cluster_slots(parse_bytes(slots_bytes), "127.0.0.1");
        EXPECT_EQ(normalized(from_shards), normalized(from_slots)) << shards_bytes.substr(0, 80);
    }
}

// ---------------------------------------------------------------------------
// Endpoint rules

TEST(ParseClusterShards, EmptyOrNullEndpointMeansTheResponder) {
    Fields null_endpoint = node_fields("", 7003, "replica");
    null_endpoint[3].second = Reply::null();
    const auto ranges = parse_cluster_shards(
        shards({shard({0, 16383}, {node("", 7000, "master"), map_of(std::move(null_endpoint), Form::resp2)})}),
        "10.1.1.1");
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0].master, master_at("10.1.1.1", 7000));
    EXPECT_EQ(ranges[0].replicas, std::vector{replica_at("10.1.1.1", 7003)});
}

TEST(ParseClusterShards, UnknownEndpointIsSkippedAndAnUnknownMasterLeavesTheSlotsUncovered) {
    const auto ranges = parse_cluster_shards(shards({
                                                 shard({0, 100}, {node("?", 7000, "master"), node("h", 7003, "replica")}),
                                                 shard({101, 200}, {node("h", 7001, "master"), node("?", 7004, "replica"),
                                                                    node("h", 7005, "replica")}),
                                             }),
                                             "10.9.9.9");
    const std::vector<SlotRange> expected{{101, 200, master_at("h", 7001), {replica_at("h", 7005)}}};
    EXPECT_EQ(ranges, expected);
}

TEST(ParseClusterShards, HostNameEndpointIsKeptAsAName) {
    const auto ranges =
        parse_cluster_shards(shards({shard({0, 16383}, {node("redis-0.example.com", 6379, "master")})}), "10.0.0.1");
    EXPECT_EQ(ranges.at(0).master.name, "redis-0.example.com:6379");
}

TEST(ParseClusterShards, PortThenTlsPort) {
    auto with_ports = [](std::optional<std::int64_t> port, std::optional<std::int64_t> tls_port) {
        Fields fields{{"endpoint", str("h")}, {"role", str("master")}};
        if (port) fields.emplace_back("port", num(*port));
        if (tls_port) fields.emplace_back("tls-port", num(*tls_port));
        return parse_cluster_shards(shards({shard({0, 1}, {map_of(std::move(fields), Form::resp2)})}), "r");
    };
    EXPECT_EQ(with_ports(6379, std::nullopt).at(0).master.port, 6379);
    EXPECT_EQ(with_ports(std::nullopt, 6380).at(0).master.port, 6380);
    EXPECT_EQ(with_ports(0, 6380).at(0).master.port, 6380);
    // Both announced: the parser cannot know the client speaks TLS.
    EXPECT_EQ(with_ports(6379, 6380).at(0).master.port, 6379);
    // No port at all: unreachable, like port 0 in CLUSTER SLOTS.
    EXPECT_TRUE(with_ports(std::nullopt, std::nullopt).empty());
    EXPECT_TRUE(with_ports(0, 0).empty());
}

TEST(ParseClusterShards, RemapIsAppliedToEveryEndpoint) {
    const HostPortRemap remap(
        [](const HostPort& a) { return HostPort{"127.0.0.1", static_cast<std::uint16_t>(a.port + 100)}; });
    const auto ranges = parse_cluster_shards(parse_bytes(kShardsResp2), "10.0.0.9", remap);
    ASSERT_EQ(ranges.size(), 3u);
    EXPECT_EQ(ranges[1].master.name, "127.0.0.1:7901");
    EXPECT_EQ(ranges[1].replicas.at(0).name, "127.0.0.1:7905");
    // The responder's host goes through the remap too.
    const HostPortRemap exact(std::map<HostPort, HostPort>{{{"10.0.0.9", 7000}, {"gateway", 17000}}});
    EXPECT_EQ(parse_cluster_shards(shards({shard({0, 1}, {node("", 7000, "master")})}), "10.0.0.9", exact)
                  .at(0)
                  .master.name,
              "gateway:17000");
}

// ---------------------------------------------------------------------------
// Health and roles

TEST(ParseClusterShards, ReplicasNotOnlineAreLeftOut) {
    for (const auto form : {Form::resp2, Form::resp3}) {
        const auto ranges = parse_cluster_shards(
            shards({shard({0, 16383},
                          {node("h", 7000, "master", "online", form), node("h", 7003, "replica", "loading", form),
                           node("h", 7004, "replica", "failed", form), node("h", 7005, "replica", "fail", form),
                           node("h", 7006, "replica", "online", form)},
                          form)}),
            "r");
        ASSERT_EQ(ranges.size(), 1u);
        EXPECT_EQ(ranges[0].replicas, std::vector{replica_at("h", 7006)});
    }
}

TEST(ParseClusterShards, MasterIsKeptWhateverItsHealthAndComesFirst) {
    const auto ranges = parse_cluster_shards(
        shards({shard({0, 16383}, {node("h", 7003, "replica"), node("h", 7000, "master", "failed")})}), "r");
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0].master, master_at("h", 7000));
    EXPECT_EQ(ranges[0].replicas, std::vector{replica_at("h", 7003)});
}

TEST(ParseClusterShards, ShardWithoutAMasterLeavesItsSlotsUncovered) {
    const auto ranges = parse_cluster_shards(
        shards({shard({0, 10}, {node("h", 7003, "replica")}), shard({11, 20}, {node("h", 7001, "master")})}), "r");
    const std::vector<SlotRange> expected{{11, 20, master_at("h", 7001), {}}};
    EXPECT_EQ(ranges, expected);
}

TEST(ParseClusterShards, ShardWithoutSlotsOrNodesGivesNoRange) {
    EXPECT_TRUE(parse_cluster_shards(shards({shard({}, {node("h", 7000, "master")})}), "r").empty());
    EXPECT_TRUE(parse_cluster_shards(shards({shard({0, 16383}, {})}), "r").empty());
    EXPECT_TRUE(parse_cluster_shards(shards({}), "r").empty());
}

// ---------------------------------------------------------------------------
// Forward compatibility

TEST(ParseClusterShards, UnknownKeysAreIgnoredAndTheFirstOfTwinKeysCounts) {
    for (const auto form : {Form::resp2, Form::resp3}) {
        Fields fields = node_fields("h", 7000, "master");
        fields.emplace_back("availability-zone", str("eu-west-1a"));
        fields.emplace_back("port", num(1));  // a second "port": the first one counts
        fields.emplace_back("nested", Reply::array({num(1), Reply::map({str("k"), str("v")})}));
        std::vector<Reply> flat;
        for (auto& [key, value] : fields) {
            flat.push_back(str(key));
            flat.push_back(std::move(value));
        }
        flat.push_back(num(12));  // a key that is not even a string
        flat.push_back(str("x"));
        const Reply node_reply = form == Form::resp3 ? Reply::map(std::move(flat)) : Reply::array(std::move(flat));
        const Reply shard_reply = map_of({{"shard-id", str("abc")},
                                          {"slots", Reply::array({num(0), num(16383)})},
                                          {"nodes", Reply::array({node_reply})},
                                          {"epoch", num(7)}},
                                         form);
        const auto ranges = parse_cluster_shards(shards({shard_reply}), "r");
        ASSERT_EQ(ranges.size(), 1u);
        EXPECT_EQ(ranges[0].master, master_at("h", 7000));
    }
}

TEST(ParseClusterShards, MissingHealthCountsAsOnline) {
    const auto ranges = parse_cluster_shards(
        shards({shard({0, 1}, {map_of({{"endpoint", str("h")}, {"port", num(7000)}, {"role", str("master")}},
                                      Form::resp2),
                               map_of({{"endpoint", str("h")}, {"port", num(7003)}, {"role", str("replica")}},
                                      Form::resp2)})}),
        "r");
    EXPECT_EQ(ranges.at(0).replicas, std::vector{replica_at("h", 7003)});
}

TEST(ParseClusterShards, SimpleAndVerbatimStringsAreStringsToo) {
    const auto ranges = parse_cluster_shards(
        shards({shard({0, 1}, {Reply::map({Reply::simple_string("endpoint"), Reply::verbatim_string("txt", "h"),
                                           Reply::simple_string("port"), num(7000),
                                           Reply::simple_string("role"), Reply::simple_string("master")})})}),
        "r");
    EXPECT_EQ(ranges.at(0).master, master_at("h", 7000));
}

// ---------------------------------------------------------------------------
// Wrong shapes: a ProtocolError naming where and what was expected

TEST(ParseClusterShards, WrongShapesNameTheShardNodeAndField) {
    const Reply good_node = node("h", 1, "master");
    auto with_node_field = [](std::string_view key, Reply value) {
        Fields fields = node_fields("h", 1, "replica");
        for (auto& [name, old] : fields) {
            if (name == key) old = std::move(value);
        }
        return map_of(std::move(fields), Form::resp2);
    };
    auto without_node_field = [](std::string_view key) {
        Fields fields{{"endpoint", str("h")}, {"port", num(1)}, {"role", str("master")}};
        std::erase_if(fields, [&](const auto& field) { return field.first == key; });
        return map_of(std::move(fields), Form::resp3);
    };

    // The reply and its shards.
    EXPECT_EQ(error_of(Reply::simple_string("OK")), "CLUSTER SHARDS: expected an array of shards, got \"OK\"");
    EXPECT_EQ(error_of(Reply::map({str("slots"), num(1)})),
              "CLUSTER SHARDS: expected an array of shards, got {\"slots\": 1}");
    EXPECT_EQ(error_of(shards({num(1)})),
              "CLUSTER SHARDS shard 0: expected a map (or a flat array of keys and values), got 1");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {good_node}), Reply::array({str("slots")})})),
              "CLUSTER SHARDS shard 1: expected a map (or a flat array of keys and values), got [\"slots\"]");
    EXPECT_EQ(error_of(shards({map_of({{"nodes", Reply::array({})}}, Form::resp3)})),
              "CLUSTER SHARDS shard 0: expected a field \"slots\", got {\"nodes\": []}");
    EXPECT_EQ(error_of(shards({map_of({{"slots", Reply::array({})}}, Form::resp2)})),
              "CLUSTER SHARDS shard 0: expected a field \"nodes\", got [\"slots\", []]");

    // Slots.
    EXPECT_EQ(error_of(shards({map_of({{"slots", str("0-100")}, {"nodes", Reply::array({})}}, Form::resp3)})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected an array of start and end slot pairs, got \"0-100\"");
    EXPECT_EQ(error_of(shards({shard({0, 1, 2}, {good_node})})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected an array of start and end slot pairs, got [0, 1, 2]");
    EXPECT_EQ(error_of(shards({shard({0, 16384}, {good_node})})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected a slot number in 0..16383, got 16384");
    EXPECT_EQ(error_of(shards({shard({-1, 5}, {good_node})})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected a slot number in 0..16383, got -1");
    EXPECT_EQ(error_of(shards({map_of({{"slots", Reply::array({str("0"), num(5)})}, {"nodes", Reply::array({})}},
                                      Form::resp3)})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected a slot number in 0..16383, got \"0\"");
    EXPECT_EQ(error_of(shards({shard({0, 5, 10, 5}, {good_node})})),
              "CLUSTER SHARDS shard 0 field \"slots\": expected a start slot not after its end slot, got "
              "[0, 5, 10, 5]");

    // Nodes.
    EXPECT_EQ(error_of(shards({map_of({{"slots", Reply::array({})}, {"nodes", num(3)}}, Form::resp3)})),
              "CLUSTER SHARDS shard 0 field \"nodes\": expected an array of nodes, got 3");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {good_node, Reply::array({str("role")})})})),
              "CLUSTER SHARDS shard 0 node 1: expected a map (or a flat array of keys and values), got [\"role\"]");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {Reply::null()})})),
              "CLUSTER SHARDS shard 0 node 0: expected a map (or a flat array of keys and values), got nil");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {without_node_field("role")})})),
              "CLUSTER SHARDS shard 0 node 0: expected a field \"role\", got {\"endpoint\": \"h\", \"port\": 1}");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {without_node_field("endpoint")})})),
              "CLUSTER SHARDS shard 0 node 0: expected a field \"endpoint\", got {\"port\": 1, \"role\": \"master\"}");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {good_node, with_node_field("role", str("primary"))})})),
              "CLUSTER SHARDS shard 0 node 1 field \"role\": expected \"master\" or \"replica\", got \"primary\"");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {with_node_field("role", num(1))})})),
              "CLUSTER SHARDS shard 0 node 0 field \"role\": expected \"master\" or \"replica\", got 1");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {with_node_field("health", Reply::boolean(true))})})),
              "CLUSTER SHARDS shard 0 node 0 field \"health\": expected a health string (\"online\", \"failed\", "
              "\"loading\"), got true");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {with_node_field("endpoint", num(127))})})),
              "CLUSTER SHARDS shard 0 node 0 field \"endpoint\": expected a host string, got 127");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {with_node_field("port", num(70000))})})),
              "CLUSTER SHARDS shard 0 node 0 field \"port\": expected a port number in 0..65535, got 70000");
    EXPECT_EQ(error_of(shards({shard({0, 1}, {with_node_field("port", str("6379"))})})),
              "CLUSTER SHARDS shard 0 node 0 field \"port\": expected a port number in 0..65535, got \"6379\"");
    Fields bad_tls = node_fields("h", 1, "replica");
    bad_tls.emplace_back("tls-port", num(-1));
    EXPECT_EQ(error_of(shards({shard({0, 1}, {map_of(std::move(bad_tls), Form::resp2)})})),
              "CLUSTER SHARDS shard 0 node 0 field \"tls-port\": expected a port number in 0..65535, got -1");
    // Two masters: no way to tell which one owns the slots.
    EXPECT_EQ(error_of(shards({shard({0, 1}, {node("h", 1, "master"), node("h", 2, "replica"),
                                              map_of({{"role", str("master")}, {"endpoint", str("h")}}, Form::resp3)})})),
              "CLUSTER SHARDS shard 0 node 2: expected at most one node with role \"master\" per shard (node 0 is "
              "one already), got {\"role\": \"master\", \"endpoint\": \"h\"}");
    // Checked even where the node would be skipped or the shard unused.
    EXPECT_EQ(error_of(shards({shard({0, 1}, {node("?", 1, "master"), with_node_field("port", num(-5))})})),
              "CLUSTER SHARDS shard 0 node 1 field \"port\": expected a port number in 0..65535, got -5");
}

}  // namespace
}  // namespace rediscluster
