//! Fixed-rate load generator for tools/bench-server (standard library only; built with
//! `rustc -O`). It replays pre-signed HTTP/1.1 requests to a loopback server at a constant
//! arrival rate over keep-alive connections, one thread per connection, and prints one JSON
//! line with the results.
//!
//!     rate ADDR FILE RATE SECONDS CONNECTIONS
//!
//! FILE holds one request a line, CR LF written as a tab. Request k is due at
//! `start + k / RATE` and goes out on connection `k % CONNECTIONS`. Latency is measured from
//! when a request was due, so a slow response also counts against the requests queued behind
//! it (as wrk2 does: no coordinated omission); the time from the actual send is reported as
//! `service_us`. The run is bounded: RATE × SECONDS requests (at most 10 million), and it
//! gives up 10 s after its last request was due.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MAX_REQUESTS: u64 = 10_000_000;
const GRACE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Outcome {
    /// Nanoseconds from due time to complete response, per completed request.
    latency: Vec<u64>,
    /// Nanoseconds from send to complete response.
    service: Vec<u64>,
    non_2xx: u64,
    errors: u64,
    not_sent: u64,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rate: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, file, rate, seconds, connections] = args.as_slice() else {
        return Err("usage: rate ADDR FILE RATE SECONDS CONNECTIONS".to_owned());
    };
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{addr} is not a loopback address"));
    }
    let rate: f64 = rate.parse().map_err(|e| format!("rate {rate}: {e}"))?;
    let seconds: f64 = seconds.parse().map_err(|e| format!("seconds {seconds}: {e}"))?;
    let connections: u64 = connections.parse().map_err(|e| format!("connections {connections}: {e}"))?;
    if !(rate > 0.0 && seconds > 0.0 && connections > 0 && connections <= 1024) {
        return Err("rate and seconds must be positive, connections 1..=1024".to_owned());
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.replace('\t', "\r\n").into_bytes())
            .collect(),
    );
    if requests.is_empty() {
        return Err(format!("{file} holds no requests"));
    }
    let total = ((rate * seconds) as u64).min(MAX_REQUESTS);
    let interval_ns = 1e9 / rate;
    // Connections are opened before the clock starts.
    let mut streams = Vec::new();
    for _ in 0..connections {
        streams.push(connect(addr)?);
    }
    let start = Instant::now() + Duration::from_millis(50);
    let deadline = start + Duration::from_secs_f64(seconds) + GRACE;
    let workers: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(lane, connection)| {
            let requests = Arc::clone(&requests);
            std::thread::spawn(move || {
                drive(addr, connection, &requests, lane as u64, connections, total, start, interval_ns, deadline)
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for worker in workers {
        let part = worker.join().map_err(|_| "a worker thread failed".to_owned())?;
        outcome.latency.extend(part.latency);
        outcome.service.extend(part.service);
        outcome.non_2xx += part.non_2xx;
        outcome.errors += part.errors;
        outcome.not_sent += part.not_sent;
    }
    let elapsed = start.elapsed().as_secs_f64();
    outcome.latency.sort_unstable();
    outcome.service.sort_unstable();
    let completed = outcome.latency.len();
    println!(
        "{{\"scheduled\": {total}, \"completed\": {completed}, \"non_2xx\": {}, \"errors\": {}, \"not_sent\": {}, \
         \"target_rate\": {rate}, \"achieved_rate\": {:.1}, \"duration_s\": {elapsed:.3}, \
         \"latency_us\": {}, \"service_us\": {}}}",
        outcome.non_2xx,
        outcome.errors,
        outcome.not_sent,
        completed as f64 / elapsed,
        percentiles(&outcome.latency),
        percentiles(&outcome.service),
    );
    Ok(())
}

fn connect(addr: SocketAddr) -> Result<Connection, String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(GRACE)).map_err(|e| e.to_string())?;
    let reader = BufReader::with_capacity(64 * 1024, stream.try_clone().map_err(|e| e.to_string())?);
    Ok(Connection {
        writer: stream,
        reader,
        line: String::new(),
        body: Vec::new(),
    })
}

#[allow(clippy::too_many_arguments)]
fn drive(
    addr: SocketAddr,
    connection: Connection,
    requests: &[Vec<u8>],
    lane: u64,
    lanes: u64,
    total: u64,
    start: Instant,
    interval_ns: f64,
    deadline: Instant,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut conn = Some(connection);
    let mut k = lane;
    while k < total {
        let due = start + Duration::from_nanos((k as f64 * interval_ns) as u64);
        let now = Instant::now();
        if now > deadline {
            outcome.not_sent += (total - k).div_ceil(lanes);
            break;
        }
        if due > now {
            std::thread::sleep(due - now);
        }
        let request = &requests[(k % requests.len() as u64) as usize];
        k += lanes;
        let connection = match conn.take() {
            Some(c) => c,
            None => match connect(addr) {
                Ok(c) => c,
                Err(_) => {
                    outcome.errors += 1;
                    continue;
                }
            },
        };
        let mut connection = connection;
        let sent = Instant::now();
        match connection.exchange(request) {
            Ok(status) => {
                let finished = Instant::now();
                outcome.latency.push(finished.duration_since(due).as_nanos() as u64);
                outcome.service.push(finished.duration_since(sent).as_nanos() as u64);
                if !(200..300).contains(&status) {
                    outcome.non_2xx += 1;
                }
                conn = Some(connection);
            }
            Err(_) => outcome.errors += 1,
        }
    }
    outcome
}

struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Connection {
    /// Sends one request and reads its response (Content-Length framed); returns the status.
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.writer.write_all(request)?;
        self.line.clear();
        self.reader.read_line(&mut self.line)?;
        let status: u16 = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("no status line"))?;
        let mut length: Option<usize> = None;
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line)? == 0 {
                return Err(invalid("connection closed in the headers"));
            }
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(invalid("chunked responses are not supported"));
                }
            }
        }
        let length = length.ok_or_else(|| invalid("no Content-Length"))?;
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok(status)
    }
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_owned())
}

/// `{"p50": …, "p99": …, "p999": …, "max": …}` in microseconds, from sorted nanoseconds.
fn percentiles(sorted: &[u64]) -> String {
    let at = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
    };
    format!(
        "{{\"p50\": {:.1}, \"p90\": {:.1}, \"p99\": {:.1}, \"p999\": {:.1}, \"max\": {:.1}}}",
        at(50.0),
        at(90.0),
        at(99.0),
        at(99.9),
        at(100.0)
    )
}
