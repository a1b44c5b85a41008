namespace ImeiEir.LoadTest.Naive;

/// <summary>
/// The naive design's Redis schema: what an EIR that queries its database on every check keeps. Plain keys, one
/// per record, nothing precomputed:
/// <list type="bullet">
/// <item><c>nv:i:{imei14}</c> = <c>R</c> (registered) or <c>S</c> (stolen)</item>
/// <item><c>nv:b:{imei14}</c> = set of <c>m{msisdn}</c> and <c>i{imsi}</c> (amnesty bindings)</item>
/// <item><c>nv:s:{imsi}</c> = msisdn (the operators' IMSI→MSISDN map)</item>
/// <item><c>nv:g:{imei14}</c> = hash subscriber → first-seen unix ms (grace marks, shared by every node)</item>
/// </list>
/// A check is one round trip: one server-side script (<see cref="CheckScript"/>) that runs the verdict order
/// over those keys. That is the most a per-request database design can do in one trip, so the comparison is
/// against a good naive design, not a strawman.
/// </summary>
internal static class NaiveSchema
{
    public const string Prefix = "nv:";

    /// <summary>
    /// KEYS: 1 status, 2 bindings, 3 subscriber map entry of the IMSI (or an absent key), 4 grace marks.
    /// ARGV: 1 home SIM (1/0), 2 msisdn or "", 3 imsi or "", 4 now (unix ms), 5 grace (ms).
    /// Returns {reason, grace expiry ms}; reasons are the proto Reason numbers.
    /// </summary>
    public const string CheckScript = """
        local s = redis.call('GET', KEYS[1])
        if s == 'S' then return {6, 0} end
        if ARGV[1] == '0' then return {4, 0} end
        if s == 'R' then return {1, 0} end
        if redis.call('EXISTS', KEYS[2]) == 0 then return {7, 0} end
        local m = ARGV[2]
        local i = ARGV[3]
        if m ~= '' and redis.call('SISMEMBER', KEYS[2], 'm' .. m) == 1 then return {2, 0} end
        local sub = m
        if i ~= '' then
          if redis.call('SISMEMBER', KEYS[2], 'i' .. i) == 1 then return {2, 0} end
          local mapped = redis.call('GET', KEYS[3])
          if mapped then
            if mapped ~= m and redis.call('SISMEMBER', KEYS[2], 'm' .. mapped) == 1 then return {2, 0} end
            if sub == '' then sub = mapped end
          end
          if sub == '' then sub = 'i' .. i end
        end
        if sub == '' then return {8, 0} end
        redis.call('HSETNX', KEYS[4], sub, ARGV[4])
        local expires = tonumber(redis.call('HGET', KEYS[4], sub)) + tonumber(ARGV[5])
        if tonumber(ARGV[4]) < expires then return {3, expires} end
        return {8, 0}
        """;

    public static string Status(string imei14) => "nv:i:" + imei14;

    public static string Bindings(string imei14) => "nv:b:" + imei14;

    public static string Subscriber(string imsi) => "nv:s:" + imsi;

    public static string Grace(string imei14) => "nv:g:" + imei14;
}
