#pragma once

// Everything the library offers, in one include.

#include "rediscluster/errors.hpp"
#include "rediscluster/resp.hpp"
#include "rediscluster/slot.hpp"
