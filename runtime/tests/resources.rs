//! Bounded resources: a response body over the cap is a clear error, read no further.

use std::time::Duration;

use bitrix24_runtime::{Client, Error, RetryPolicy, TransportErrorKind};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CODE: &str = "s3cr3tc0de42xyz";

/// A server on 127.0.0.1 that answers every request with `head` and then writes `chunk`
/// forever (until the client hangs up); returns the webhook URL.
async fn endless(head: &'static str, chunk: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                while !chunk.is_empty() && socket.write_all(chunk).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}/rest/7/{CODE}/")
}

fn client(url: &str, cap: usize) -> Client {
    Client::builder(url)
        .allow_insecure_loopback()
        .retry(RetryPolicy::default())
        .max_body_size(cap)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn assert_too_large(e: &Error) {
    let Error::Transport { source, .. } = e else {
        panic!("expected a transport error, got {e}");
    };
    assert_eq!(source.kind(), TransportErrorKind::BodyTooLarge, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("larger than the limit of 65536 bytes"),
        "{text}"
    );
    assert!(!text.contains(CODE), "{text}");
}

#[tokio::test]
async fn a_declared_2_gib_body_is_refused_before_reading() {
    let url = endless(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\n\r\n",
        &[b' '; 8192],
    )
    .await;
    let started = std::time::Instant::now();
    let e = client(&url, 64 * 1024)
        .call_raw_read_only("user.current", json!({}))
        .await
        .unwrap_err();
    assert_too_large(&e);
    // Refused at once, and not retried.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_cap() {
    // Chunks of 4,096 bytes (`1000` hex), forever.
    static CHUNK: &[u8] = &{
        let mut c = [b' '; 4096 + 8];
        let head = b"1000\r\n";
        let mut i = 0;
        while i < head.len() {
            c[i] = head[i];
            i += 1;
        }
        c[4096 + 6] = b'\r';
        c[4096 + 7] = b'\n';
        c
    };
    let url = endless(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        CHUNK,
    )
    .await;
    let started = std::time::Instant::now();
    let e = client(&url, 64 * 1024)
        .call_raw_read_only("user.current", json!({}))
        .await
        .unwrap_err();
    assert_too_large(&e);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_cap_below_1_kib_is_a_config_error() {
    let e = Client::builder(&format!("https://example.bitrix24.com/rest/7/{CODE}/"))
        .max_body_size(10)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(e.to_string().contains("max_body_size"), "{e}");
}

/// A TLS failure keeps its cause (reqwest's own text is only "error sending request").
#[tokio::test]
async fn a_tls_failure_names_its_cause() {
    // A plain-HTTP server behind an https:// URL: the TLS handshake fails.
    let url = endless("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", b"").await;
    let url = url.replacen("http://", "https://", 1);
    let client = Client::builder(&url)
        .retry(RetryPolicy::never())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let e = client
        .call_raw_read_only("user.current", json!({}))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Transport { .. }), "{text}");
    // More than reqwest's top line: the chain down to rustls / the IO error.
    assert!(text.matches(": ").count() >= 3, "{text}");
    assert!(!text.contains(CODE), "{text}");
}
