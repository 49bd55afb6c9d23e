//! Request metrics in Prometheus's text format: counts by service, action and outcome, and
//! a latency histogram.
//!
//! Recording a request takes no lock and allocates nothing: successes count in one atomic per
//! (service, operation) of the models, latencies in atomic buckets. Only errors, which carry
//! a code, go through a map under a lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::model::Model;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0,
];

/// The `code` label of successes.
const OK: &str = "OK";

#[derive(Debug)]
pub struct Metrics {
    /// Successes of each (service, action) of the models, sorted by the pair.
    successes: Vec<((&'static str, &'static str), AtomicU64)>,
    /// (service, action, code) → count, for errors and for any pair the table above lacks.
    /// Every label is one of a fixed set (services, the models' operation names, Warden's
    /// error codes), never a request's own text, so the map cannot grow beyond that set.
    others: Mutex<BTreeMap<(&'static str, &'static str, String), u64>>,
    /// Requests whose latency falls in each bucket and no lower one; the last counts the
    /// requests above every bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut successes: Vec<((&'static str, &'static str), AtomicU64)> =
            [("iam", Model::iam()), ("sts", Model::sts())]
                .into_iter()
                .flat_map(|(service, model)| {
                    model.operations().map(move |operation| {
                        ((service, operation.name.as_str()), AtomicU64::new(0))
                    })
                })
                .collect();
        successes.sort_by(|a, b| a.0.cmp(&b.0));
        Metrics {
            successes,
            others: Mutex::default(),
            buckets: Default::default(),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn record(
        &self,
        service: &'static str,
        action: &'static str,
        code: &str,
        elapsed: Duration,
    ) {
        let counted = code == OK
            && self
                .successes
                .binary_search_by(|(pair, _)| pair.cmp(&(service, action)))
                .ok()
                .and_then(|at| self.successes.get(at))
                .map(|(_, count)| count.fetch_add(1, Ordering::Relaxed))
                .is_some();
        if !counted && let Ok(mut others) = self.others.lock() {
            *others
                .entry((service, action, code.to_owned()))
                .or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        if let Some(bucket) = self.buckets.get(bucket) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The exposition text for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut requests: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
        for ((service, action), count) in &self.successes {
            let count = count.load(Ordering::Relaxed);
            if count > 0 {
                requests.insert((service, action, OK), count);
            }
        }
        let others = match self.others.lock() {
            Ok(others) => others.clone(),
            Err(_) => BTreeMap::new(),
        };
        for ((service, action, code), count) in &others {
            *requests.entry((service, action, code)).or_default() += count;
        }
        let mut out = String::new();
        out.push_str(
            "# HELP warden_requests_total API requests by service, action and result code.\n",
        );
        out.push_str("# TYPE warden_requests_total counter\n");
        for ((service, action, code), count) in &requests {
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
        let mut cumulative = 0;
        for (count, bound) in self.buckets.iter().zip(BUCKETS) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "warden_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let total: u64 = self
            .buckets
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum();
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            out,
            "warden_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(out, "warden_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "warden_request_duration_seconds_count {total}");
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_errors_and_latencies_are_rendered() {
        let metrics = Metrics::default();
        metrics.record("iam", "GetUser", OK, Duration::from_micros(50));
        metrics.record("iam", "GetUser", OK, Duration::from_millis(2));
        metrics.record("iam", "GetUser", "NoSuchEntity", Duration::from_secs(2));
        metrics.record(
            "unknown",
            "unknown",
            "MissingAuthenticationToken",
            Duration::ZERO,
        );
        let text = metrics.render();
        for line in [
            "warden_requests_total{service=\"iam\",action=\"GetUser\",code=\"NoSuchEntity\"} 1",
            "warden_requests_total{service=\"iam\",action=\"GetUser\",code=\"OK\"} 2",
            "warden_requests_total{service=\"unknown\",action=\"unknown\",code=\"MissingAuthenticationToken\"} 1",
            "warden_request_duration_seconds_bucket{le=\"0.0001\"} 2",
            "warden_request_duration_seconds_bucket{le=\"0.001\"} 2",
            "warden_request_duration_seconds_bucket{le=\"0.0025\"} 3",
            "warden_request_duration_seconds_bucket{le=\"1\"} 3",
            "warden_request_duration_seconds_bucket{le=\"+Inf\"} 4",
            "warden_request_duration_seconds_sum 2.00205",
            "warden_request_duration_seconds_count 4",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
        // Labels sort by service, action, then code; actions never recorded do not appear.
        let get_user = text.find("code=\"NoSuchEntity\"").unwrap_or(usize::MAX);
        let ok = text.find("code=\"OK\"").unwrap_or(0);
        assert!(get_user < ok);
        assert!(!text.contains("ListUsers"));
    }
}
