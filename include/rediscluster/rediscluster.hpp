#pragma once

// Everything the library offers, in one include.

#include "rediscluster/client.hpp"
#include "rediscluster/commands.hpp"
#include "rediscluster/connection.hpp"
#include "rediscluster/error_reply.hpp"
#include "rediscluster/errors.hpp"
#include "rediscluster/nodes.hpp"
#include "rediscluster/pipeline.hpp"
#include "rediscluster/pool.hpp"
#include "rediscluster/pubsub.hpp"
#include "rediscluster/reply_cast.hpp"
#include "rediscluster/resp.hpp"
#include "rediscluster/scan.hpp"
#include "rediscluster/slot.hpp"
#include "rediscluster/transaction.hpp"
