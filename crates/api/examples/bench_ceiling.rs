//! The ceiling of `tools/bench-server`: a bare axum server on the same axum, hyper and tokio
//! (and the same runtime settings) as `warden serve`, answering every `POST /` with one fixed
//! body, so the benchmark can tell what the HTTP stack itself serves on this machine.
//!
//!     cargo build --release -p warden-api --example bench_ceiling
//!     target/release/examples/bench_ceiling 127.0.0.1:PORT BODY_FILE
//!
//! `BODY_FILE` holds the XML to answer (the benchmark saves one of Warden's GetUser answers).
//! It answers `GET /healthz` too, so the benchmark starts it as it starts Warden.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(body_file)) = (args.next(), args.next()) else {
        return Err("usage: bench_ceiling ADDRESS BODY_FILE".into());
    };
    let body: &'static str = std::fs::read_to_string(body_file)?.leak();
    // As `warden serve` builds its runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let answer = move |ConnectInfo(_peer): ConnectInfo<SocketAddr>, _request: Bytes| async move {
            let headers = [
                (header::CONTENT_TYPE, "text/xml"),
                (header::HeaderName::from_static("x-amzn-requestid"), "00000000-0000-4000-8000-000000000000"),
            ];
            (headers, body).into_response()
        };
        let app = Router::new()
            .route("/", post(answer))
            .route("/healthz", get(|| async { "ok\n" }));
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
        Ok(())
    })
}
