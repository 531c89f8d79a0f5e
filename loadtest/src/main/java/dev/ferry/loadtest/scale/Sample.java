package dev.ferry.loadtest.scale;

/**
 * One line of the timeline: the state at {@code t} and what happened in the interval before it.
 *
 * @param t seconds since the load pattern started
 * @param phase the load pattern's phase then
 * @param replicas server sidecars counted as replicas (the Deployment's replica count)
 * @param readyReplicas of those, how many are ready
 * @param terminating server sidecars draining after a scale-down
 * @param queueReady ready messages in the queue (-1: could not be read)
 * @param inFlight requests the server sidecars hold unacknowledged
 * @param metric the queue length as KEDA would read it: ready (+ unacked with {@code protocol:
 *     http})
 * @param desired the last poll's recommendation: the HPA's {@code ceil(metric / value)} clamped to
 *     the replica range, or KEDA's 0 / activation
 * @param sent requests sent in the interval
 * @param ok answered by the echo in the interval
 * @param failed answered otherwise, or given up on, in the interval
 * @param p50Millis median latency of the interval's answers by the echo (NaN: none)
 * @param p99Millis their 99th percentile (NaN: none)
 * @param note the scaling decisions of the interval that changed the replica count, or empty
 */
record Sample(
    double t,
    String phase,
    int replicas,
    int readyReplicas,
    int terminating,
    long queueReady,
    long inFlight,
    long metric,
    int desired,
    long sent,
    long ok,
    long failed,
    double p50Millis,
    double p99Millis,
    String note) {}
