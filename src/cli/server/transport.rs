//! The Language Server Protocol's framing: `Content-Length` headers, a
//! blank line, then a JSON-RPC message. Unlike `lsp_server`'s own reader,
//! which ends the connection at the first frame it cannot read, a frame
//! that is not a message here is reported and the next one is read: a
//! header line that is not one is skipped up to a `Content-Length` it may
//! hide, a body that is not JSON or not a message gets an error response.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message, RequestId};

/// Bodies longer than this are skipped, not read into memory.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// What one frame of the input held.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// Not a message: the client gets an error response, to the request's
    /// id when the frame shows one.
    Malformed {
        id: Option<RequestId>,
        code: ErrorCode,
        message: String,
    },
}

/// Reads the next frame; `None` at the end of the input.
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<usize> = None;
    let mut problem: Option<String> = None;
    let mut line = Vec::new();
    let mut any = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(if any {
                Some(malformed(None, "the input ended inside a frame's headers"))
            } else {
                None
            });
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if any {
                break;
            }
            // Blank lines between frames are nothing.
            continue;
        }
        any = true;
        // A header may follow garbage on its line (a body longer than its
        // length said): what comes from `Content-Length:` on is the header.
        let header = match text.to_ascii_lowercase().find("content-length:") {
            Some(start) if start > 0 => {
                problem.get_or_insert_with(|| format!("malformed header {text:?}"));
                &text[start..]
            }
            _ => text,
        };
        let Some((name, value)) = header.split_once(':') else {
            problem.get_or_insert_with(|| format!("malformed header {text:?}"));
            continue;
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                Ok(parsed) => length = Some(parsed),
                Err(_) => {
                    problem.get_or_insert_with(|| format!("invalid Content-Length {value:?}"));
                }
            }
        }
    }
    let Some(length) = length else {
        let problem = problem.unwrap_or_else(|| "a frame without Content-Length".to_string());
        return Ok(Some(malformed(None, &problem)));
    };
    if length > MAX_BODY_BYTES {
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        return Ok(Some(malformed(
            None,
            &format!("a body of {length} bytes is more than this server reads"),
        )));
    }
    let mut body = vec![0; length];
    if let Err(error) = input.read_exact(&mut body) {
        return match error.kind() {
            io::ErrorKind::UnexpectedEof => Ok(None),
            _ => Err(error),
        };
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => return Ok(Some(malformed(None, &format!("not JSON: {error}")))),
    };
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    let is_message = value
        .get("method")
        .is_some_and(serde_json::Value::is_string)
        || value.get("result").is_some()
        || value.get("error").is_some();
    if !is_message {
        return Ok(Some(Incoming::Malformed {
            id,
            code: ErrorCode::InvalidRequest,
            message: "not a JSON-RPC request, response or notification".to_string(),
        }));
    }
    Ok(Some(match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(error) => Incoming::Malformed {
            id,
            code: ErrorCode::InvalidRequest,
            message: format!("not a JSON-RPC message: {error}"),
        },
    }))
}

fn malformed(id: Option<RequestId>, message: &str) -> Incoming {
    Incoming::Malformed {
        id,
        code: ErrorCode::ParseError,
        message: message.to_string(),
    }
}

/// Writes one frame holding `body`, a JSON text.
pub fn write_frame(output: &mut impl Write, body: &str) -> io::Result<()> {
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

/// An error response to a frame that was not a message, with the
/// request's id, or `null` when it showed none (as JSON-RPC asks).
pub fn error_response(id: Option<RequestId>, code: ErrorCode, message: &str) -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.map_or(serde_json::Value::Null, |id| serde_json::to_value(id).unwrap_or_default()),
        "error": { "code": code as i32, "message": message },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let mut reader = io::BufReader::new(input.as_bytes());
        let mut seen = Vec::new();
        while let Some(frame) = read_frame(&mut reader).unwrap() {
            seen.push(match frame {
                Incoming::Message(Message::Request(request)) => {
                    format!("request {}", request.method)
                }
                Incoming::Message(Message::Notification(note)) => {
                    format!("notification {}", note.method)
                }
                Incoming::Message(Message::Response(response)) => {
                    format!("response {}", response.id)
                }
                Incoming::Malformed { id, code, .. } => format!("malformed {id:?} {}", code as i32),
            });
        }
        seen
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn a_bad_frame_is_reported_and_the_next_is_read() {
        let shutdown = frame(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
        let input = [
            frame("{not json"),
            "Garbage without a newline".to_string() + &shutdown,
            "X-Header-Without-Colon\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":7}"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            "Content-Length: nine\r\n\r\n".to_string(),
            shutdown.clone(),
        ]
        .concat();
        assert_eq!(
            frames(&input),
            [
                "malformed None -32700",
                "request shutdown",
                "malformed None -32700",
                "malformed Some(RequestId(I32(7))) -32600",
                "notification exit",
                "malformed None -32700",
                "request shutdown",
            ]
        );
    }

    #[test]
    fn a_huge_length_is_skipped_without_reading_it_into_memory() {
        let input = format!("Content-Length: {}\r\n\r\n", MAX_BODY_BYTES + 1);
        assert_eq!(frames(&input), ["malformed None -32700"]);
    }
}
