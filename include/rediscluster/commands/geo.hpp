#pragma once

// Typed commands on geospatial indexes (part of Commands, commands.hpp).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rediscluster/commands/base.hpp"

namespace rediscluster {

/// A place to add with GEOADD.
struct GeoMember {
    double longitude = 0;
    double latitude = 0;
    std::string_view member;
};

/// A position as GEOPOS returns it: longitude, then latitude.
using GeoPosition = std::pair<double, double>;

/// The unit of a distance or radius.
enum class GeoUnit { m, km, mi, ft };

namespace detail {
constexpr std::string_view geo_unit_name(GeoUnit unit) noexcept {
    switch (unit) {
        case GeoUnit::m: return "m";
        case GeoUnit::km: return "km";
        case GeoUnit::mi: return "mi";
        case GeoUnit::ft: return "ft";
    }
    return "m";
}
}  // namespace detail

/// GEOADD, GEODIST, GEOPOS and GEOSEARCH.
template <class Runner>
class GeoCommands {
public:
    /// GEOADD: how many members were new.
    decltype(auto) geoadd(std::string_view key, std::span<const GeoMember> members) {
        detail::require_some("GEOADD", "member", members.size());
        detail::CommandArgs args("GEOADD");
        args.add(key);
        for (const auto& place : members) args.add(place.longitude).add(place.latitude).add(place.member);
        return detail::run_args<reply_readers::Integer>(self(), args);
    }
    /// GEODIST: the distance in `unit`, nullopt when a member is missing.
    decltype(auto) geodist(std::string_view key, std::string_view member1, std::string_view member2,
                           GeoUnit unit = GeoUnit::m) {
        return detail::run<reply_readers::OptionalDouble>(self(), "GEODIST", key, member1, member2,
                                                          detail::geo_unit_name(unit));
    }
    /// GEOPOS: each member's position, nullopt for a missing one.
    decltype(auto) geopos(std::string_view key, std::span<const std::string_view> members) {
        detail::require_some("GEOPOS", "member", members.size());
        detail::CommandArgs args("GEOPOS");
        args.add(key).add_all(members);
        return detail::run_args<reply_readers::As<std::vector<std::optional<GeoPosition>>>>(self(), args);
    }
    /// GEOSEARCH FROMMEMBER ... BYRADIUS ... ASC: the members within
    /// `radius` of `member`, nearest first.
    decltype(auto) geosearch(std::string_view key, std::string_view member, double radius, GeoUnit unit = GeoUnit::m) {
        return detail::run<reply_readers::Strings>(self(), "GEOSEARCH", key, "FROMMEMBER", member, "BYRADIUS", radius,
                                                   detail::geo_unit_name(unit), "ASC");
    }
    /// GEOSEARCH FROMLONLAT ... BYRADIUS ... ASC: the members within
    /// `radius` of a position, nearest first.
    decltype(auto) geosearch(std::string_view key, GeoPosition center, double radius, GeoUnit unit = GeoUnit::m) {
        return detail::run<reply_readers::Strings>(self(), "GEOSEARCH", key, "FROMLONLAT", center.first,
                                                   center.second, "BYRADIUS", radius, detail::geo_unit_name(unit),
                                                   "ASC");
    }

private:
    Runner& self() { return static_cast<Runner&>(*this); }
};

}  // namespace rediscluster
