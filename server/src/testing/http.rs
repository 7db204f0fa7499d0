//! Just enough HTTP/1.1 for tests and the bench: one request per connection, JSON bodies.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad response: {0}")]
    Bad(String),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
}

/// Sends one request and returns (status, body).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<(u16, Vec<u8>), HttpError> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| HttpError::Bad("no header end".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut payload = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| HttpError::Bad(format!("no status in {head:?}")))?;
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        payload = dechunk(&payload)?;
    }
    Ok((status, payload))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or_else(|| HttpError::Bad("chunk".into()))?;
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .map_err(|e| HttpError::Bad(e.to_string()))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(HttpError::Bad("short chunk".into()));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

async fn json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value, HttpError> {
    let (status, body) = request(addr, method, path, token, body).await?;
    if !(200..300).contains(&status) {
        return Err(HttpError::Status { status, body: String::from_utf8_lossy(&body).into() });
    }
    serde_json::from_slice(&body).map_err(|e| HttpError::Bad(e.to_string()))
}

/// `GET path` with a bearer token; the JSON body of a 2xx answer.
pub async fn get_json(addr: SocketAddr, path: &str, token: &str) -> Result<serde_json::Value, HttpError> {
    json(addr, "GET", path, Some(token), None).await
}

/// `POST path` with a JSON body; the JSON body of a 2xx answer.
pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Result<serde_json::Value, HttpError> {
    json(addr, "POST", path, token, Some(body)).await
}

/// What `POST /api/login` answers.
#[derive(Clone, Debug)]
pub struct Login {
    pub token: String,
    pub index_doc: String,
    pub directory_doc: String,
    pub body: serde_json::Value,
}

/// Logs in with username and password.
pub async fn login(addr: SocketAddr, user: &str, password: &str) -> Result<Login, HttpError> {
    let body =
        post_json(addr, "/api/login", None, &serde_json::json!({"username": user, "password": password})).await?;
    let s = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(Login {
        token: s("token").ok_or_else(|| HttpError::Bad("no token".into()))?,
        index_doc: s("index_doc").unwrap_or_default(),
        directory_doc: s("directory_doc").unwrap_or_default(),
        body,
    })
}
