//! Request metrics in Prometheus's text format: counts by service, action and outcome, and
//! a latency histogram.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
];

#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (service, action, code) → count; `code` is "OK" for successes. Every label is one of
    /// a fixed set (services, the models' operation names, Warden's error codes), never a
    /// request's own text, so the map cannot grow beyond that set.
    requests: BTreeMap<(&'static str, &'static str, String), u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    pub fn record(
        &self,
        service: &'static str,
        action: &'static str,
        code: &str,
        elapsed: Duration,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((service, action, code.to_owned()))
            .or_default() += 1;
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in inner.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        inner.count += 1;
        inner.sum += seconds;
    }

    /// The exposition text for `GET /metrics`.
    pub fn render(&self) -> String {
        let Ok(inner) = self.inner.lock() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str(
            "# HELP warden_requests_total API requests by service, action and result code.\n",
        );
        out.push_str("# TYPE warden_requests_total counter\n");
        for ((service, action, code), count) in &inner.requests {
            let _ = writeln!(
                out,
                "warden_requests_total{{service=\"{}\",action=\"{}\",code=\"{}\"}} {count}",
                escape(service),
                escape(action),
                escape(code)
            );
        }
        out.push_str("# HELP warden_request_duration_seconds Time to answer an API request.\n");
        out.push_str("# TYPE warden_request_duration_seconds histogram\n");
        for (count, bound) in inner.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "warden_request_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "warden_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            inner.count
        );
        let _ = writeln!(out, "warden_request_duration_seconds_sum {}", inner.sum);
        let _ = writeln!(out, "warden_request_duration_seconds_count {}", inner.count);
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
