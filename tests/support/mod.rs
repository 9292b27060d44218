//! A scripted HTTP/1.1 server on 127.0.0.1 for the client tests: each path answers a
//! scripted sequence of steps (the last one repeats) and counts its requests. It speaks raw
//! HTTP over tokio so that it can also misbehave the way networks do: cut a body short,
//! drop a connection, or never answer.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Step {
    /// A whole answer.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `declared` bytes, then only `body`, then the connection closes.
    Truncated { declared: usize, body: Vec<u8> },
    /// The connection closes before any answer.
    Drop,
    /// No answer at all, until the client gives up and closes the connection.
    Hang,
    /// A section 4 error whose message repeats the `Authorization` header received.
    EchoAuthorization { status: u16 },
    /// A JSON body in which every `{auth}` is the `Authorization` header received, as a JSON
    /// string holds it (quotes and backslashes escaped).
    Echo { status: u16, template: String },
    /// These bytes as they are (a whole answer, head included), then the connection closes.
    Raw(Vec<u8>),
    /// A 200 head without `Content-Length`, then one byte every `every`, `bytes` in all:
    /// a result host that never quite stalls. The server reports `dripping <path>` once the
    /// first byte is out.
    Drip { every: Duration, bytes: usize },
}

impl Step {
    /// A JSON answer.
    pub fn json(status: u16, body: impl Into<String>) -> Step {
        Step::Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into().into_bytes(),
        }
    }

    /// A 200 with raw bytes.
    pub fn bytes(body: &[u8]) -> Step {
        Step::Reply {
            status: 200,
            headers: Vec::new(),
            body: body.to_vec(),
        }
    }

    /// An answer with a section 4 body.
    pub fn error(status: u16, kind: &str, message: &str) -> Step {
        Step::json(
            status,
            serde_json::json!({"error": {"message": message, "type": kind}}).to_string(),
        )
    }

    /// The same answer with one more header.
    pub fn with_header(self, name: &str, value: &str) -> Step {
        match self {
            Step::Reply {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Step::Reply {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    /// The path, without the query.
    pub path: String,
    /// The query, if any.
    pub query: Option<String>,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl Received {
    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, VecDeque<Step>>,
    counts: HashMap<String, u32>,
    received: Vec<Received>,
    /// Who hears of events: `request <path>` on each request, `dripping <path>`.
    listeners: Vec<mpsc::UnboundedSender<String>>,
}

impl State {
    fn tell(&mut self, event: String) {
        self.listeners.retain(|l| l.send(event.clone()).is_ok());
    }
}

/// The server. Dropping it stops accepting connections.
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Server {
            addr,
            state,
            accept,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What `path` answers, in order; the last step repeats.
    pub fn script(&self, path: &str, steps: Vec<Step>) {
        self.state().scripts.insert(path.to_string(), steps.into());
    }

    /// How many requests `path` has received.
    pub fn count(&self, path: &str) -> u32 {
        self.state().counts.get(path).copied().unwrap_or(0)
    }

    /// Every request received, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    /// Events from now on: `request <path>` as each request arrives, `dripping <path>` when a
    /// [`Step::Drip`] has sent its first byte. A test awaits them instead of sleeping.
    pub fn events(&self) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state().listeners.push(tx);
        rx
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An absolute URL on this server.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base())
    }
}

/// Reads one request head; `None` when the client closed first.
async fn read_head(stream: &mut TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines.next()?.split(' ').nth(1)?.to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target, None),
    };
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Received {
        path,
        query,
        headers,
    })
}

fn head(status: u16, headers: &[(String, String)], length: usize) -> Vec<u8> {
    let mut text =
        format!("HTTP/1.1 {status} Scripted\r\nContent-Length: {length}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let Some(request) = read_head(&mut stream).await else {
        return;
    };
    let step = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        *state.counts.entry(request.path.clone()).or_default() += 1;
        state.received.push(request.clone());
        state.tell(format!("request {}", request.path));
        match state.scripts.get_mut(&request.path) {
            Some(steps) if steps.len() > 1 => steps.pop_front(),
            Some(steps) => steps.front().cloned(),
            None => None,
        }
    };
    let step = step.unwrap_or_else(|| Step::error(404, "not_found", "no script for this path"));
    match step {
        Step::Reply {
            status,
            headers,
            body,
        } => {
            let mut out = head(status, &headers, body.len());
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
        }
        Step::Truncated { declared, body } => {
            let mut out = head(
                200,
                &[("Content-Type".into(), "application/json".into())],
                declared,
            );
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
        }
        Step::Drop => {}
        Step::Hang => {
            // Until the client gives up: a read returns 0 (or fails) when it closes.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        Step::EchoAuthorization { status } => {
            let seen = request.header("authorization").unwrap_or_default();
            let body = serde_json::json!({"error": {"message": format!("invalid key: {seen}"), "type": "authentication_error"}})
                .to_string()
                .into_bytes();
            let mut out = head(
                status,
                &[("Content-Type".into(), "application/json".into())],
                body.len(),
            );
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
        }
        Step::Echo { status, template } => {
            let seen = request.header("authorization").unwrap_or_default();
            let quoted = serde_json::to_string(seen).expect("a string");
            let body = template
                .replace("{auth}", &quoted[1..quoted.len() - 1])
                .into_bytes();
            let mut out = head(
                status,
                &[("Content-Type".into(), "application/json".into())],
                body.len(),
            );
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
        }
        Step::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Step::Drip { every, bytes } => {
            let head =
                b"HTTP/1.1 200 Dripping\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            for sent in 0..bytes {
                if stream.write_all(b"x").await.is_err() {
                    return;
                }
                if sent == 0 {
                    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
                    state.tell(format!("dripping {}", request.path));
                }
                tokio::time::sleep(every).await;
            }
        }
    }
    let _ = stream.shutdown().await;
}
