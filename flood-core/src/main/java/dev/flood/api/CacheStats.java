package dev.flood.api;

/**
 * The segment KV cache's occupancy, in token slots (one slot holds one token's keys and values for every layer).
 * Every slot is used (owned by a request), cached (a computed prompt prefix kept for requests that start with it)
 * or free: {@code capacityTokens = usedTokens + cachedTokens + freeTokens}.
 *
 * @param capacityTokens          slots in the slab
 * @param usedTokens              slots owned by requests
 * @param cachedTokens            slots of cached prompt prefixes, whether requests read them now or not
 * @param freeTokens              slots free
 * @param largestFreeExtent       longest run of free slots
 * @param freeExtents             number of free runs (fragmentation)
 * @param cachedExtents           number of runs of cached slots
 * @param requests                requests holding slots
 * @param meanExtentsPerRequest   mean extents per request (cached ones they read included), 0 when none
 * @param maxExtentsPerRequest    most extents any request holds
 */
public record CacheStats(int capacityTokens, int usedTokens, int cachedTokens, int freeTokens, int largestFreeExtent,
                         int freeExtents, int cachedExtents, int requests, double meanExtentsPerRequest,
                         int maxExtentsPerRequest) {
}
