//! Timing: latency percentiles over timed questions and queries per second
//! over threads sharing one service.

use super::*;

/// Nearest-rank percentile (`p` in 0..=100) of ascending `sorted` values; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latency summary of per-question durations.
pub fn latency_of(durations: &[Duration]) -> Latency {
    let mut us: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let mean = if us.is_empty() {
        0.0
    } else {
        us.iter().sum::<f64>() / us.len() as f64
    };
    Latency {
        samples: us.len(),
        mean_us: mean,
        p50_us: percentile(&us, 50.0),
        p90_us: percentile(&us, 90.0),
        p99_us: percentile(&us, 99.0),
        max_us: us.last().copied().unwrap_or(0.0),
        slowest: Vec::new(),
    }
}

/// Time `ask` over `queries` in whole passes until `min_samples` were taken or
/// `max_time` has passed (at least one pass).
pub fn measure_latency<F: FnMut(&str)>(
    queries: &[String],
    min_samples: usize,
    max_time: Duration,
    mut ask: F,
) -> Latency {
    let started = Instant::now();
    let mut samples = Vec::with_capacity(min_samples.max(queries.len()));
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    loop {
        for (q, own) in queries.iter().zip(per_query.iter_mut()) {
            let t = Instant::now();
            ask(q);
            let took = t.elapsed();
            samples.push(took);
            own.push(took);
        }
        if queries.is_empty() || samples.len() >= min_samples || started.elapsed() >= max_time {
            break;
        }
    }
    let mut latency = latency_of(&samples);
    let mut medians: Vec<(String, f64)> = queries
        .iter()
        .zip(&per_query)
        .map(|(q, own)| (q.clone(), latency_of(own).p50_us))
        .collect();
    medians.sort_by(|a, b| b.1.total_cmp(&a.1));
    medians.truncate(SLOWEST_REPORTED);
    latency.slowest = medians;
    latency
}

/// How many of the slowest questions a latency report names.
pub(super) const SLOWEST_REPORTED: usize = 5;

/// Queries per second of `threads` threads each asking in turn (starting at
/// different questions) for `time`. `make` gives each thread its asker.
pub fn measure_throughput<F, A>(
    queries: &[String],
    threads: usize,
    time: Duration,
    make: F,
) -> Throughput
where
    F: Fn() -> A + Sync,
    A: FnMut(&str),
{
    let started = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let make = &make;
                s.spawn(move || {
                    let mut ask = make();
                    let mut n = 0usize;
                    let mut i = t * queries.len() / threads.max(1);
                    let deadline = Instant::now() + time;
                    while !queries.is_empty() && Instant::now() < deadline {
                        ask(&queries[i % queries.len()]);
                        i += 1;
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    Throughput {
        threads,
        queries: total,
        seconds,
        qps: if seconds > 0.0 {
            total as f64 / seconds
        } else {
            0.0
        },
    }
}
