//! A minimal Language Server Protocol client, enough to ask yaml-language-server (the server
//! behind VS Code's YAML extension and other editors' YAML support) what an editor would show
//! for a scenario file: its diagnostics, its completions at a place, its hover text.
//! It speaks JSON-RPC over the server's stdin and stdout (`Content-Length` framing), answers
//! the server's own requests (the settings it asks for turn validation, completion and hover
//! on), and gives up on an answer after [`ANSWER_WITHIN`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long the server may take over one answer before the test fails. A give-up time, not a
/// measurement: the server answers in milliseconds once it has read the schema.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// The version CI installs (`.ci/package.json`).
pub const VERSION: &str = "2.0.0";

/// Where the server is: `KAFKA_SCENARIO_YAML_LANGUAGE_SERVER`, or where
/// `npm install --prefix .ci` leaves it.
pub fn program() -> PathBuf {
    std::env::var_os("KAFKA_SCENARIO_YAML_LANGUAGE_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node_modules/.bin/yaml-language-server")
        })
}

/// A running yaml-language-server and what it has said.
pub struct LanguageServer {
    child: Child,
    input: ChildStdin,
    said: Receiver<Result<Value, String>>,
    next_id: u64,
    /// The last diagnostics published for each document, by URI.
    diagnostics: HashMap<String, Vec<Value>>,
}

impl LanguageServer {
    /// Starts the server and completes the protocol's handshake.
    pub fn start() -> Result<Self, String> {
        let program = program();
        let mut child = Command::new(&program)
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let input = child
            .stdin
            .take()
            .ok_or("the server's stdin is not piped")?;
        let output = child
            .stdout
            .take()
            .ok_or("the server's stdout is not piped")?;
        let (tell, said) = channel();
        std::thread::spawn(move || {
            let mut output = BufReader::new(output);
            loop {
                let message = read_message(&mut output);
                let ended = message.is_err();
                if tell.send(message).is_err() || ended {
                    return;
                }
            }
        });
        let mut server = LanguageServer {
            child,
            input,
            said,
            next_id: 0,
            diagnostics: HashMap::new(),
        };
        server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {
                    "workspace": { "configuration": true },
                    "textDocument": {
                        "completion": { "completionItem": { "documentationFormat": ["markdown"] } },
                        "hover": { "contentFormat": ["markdown"] },
                        "publishDiagnostics": {}
                    }
                }
            }),
        )?;
        server.notify("initialized", json!({}))?;
        server.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": { "yaml": settings() } }),
        )?;
        Ok(server)
    }

    /// Opens a document as an editor does when a file is opened: `text` is what the editor
    /// holds, `file` where it is (the schema line is resolved against it).
    pub fn open(&mut self, file: &Path, text: &str) -> Result<String, String> {
        let uri = uri_of(file)?;
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
        )?;
        Ok(uri)
    }

    /// The diagnostics the server publishes for an open document, waiting for them.
    pub fn diagnostics(&mut self, uri: &str) -> Result<Vec<Value>, String> {
        let deadline = Instant::now() + ANSWER_WITHIN;
        while !self.diagnostics.contains_key(uri) {
            self.handle_next(deadline)?;
        }
        Ok(self.diagnostics[uri].clone())
    }

    /// The completion items at a zero-based line and character of an open document.
    pub fn completions(
        &mut self,
        uri: &str,
        line: usize,
        character: usize,
    ) -> Result<Vec<Value>, String> {
        let answer = self.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )?;
        let items = answer.get("items").unwrap_or(&answer);
        Ok(items.as_array().cloned().unwrap_or_default())
    }

    /// The hover text at a zero-based line and character of an open document.
    pub fn hover(&mut self, uri: &str, line: usize, character: usize) -> Result<String, String> {
        let answer = self.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )?;
        Ok(answer["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            if let Some(answer) = self.handle_next(deadline)?
                && answer["id"] == json!(id)
            {
                if let Some(error) = answer.get("error") {
                    return Err(format!("{method} failed: {error}"));
                }
                return Ok(answer["result"].clone());
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }))
    }

    fn send(&mut self, message: Value) -> Result<(), String> {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.input.flush())
            .map_err(|e| format!("cannot write to the server: {e}"))
    }

    /// Takes the next message: keeps published diagnostics, answers the server's requests, and
    /// returns an answer to one of ours.
    fn handle_next(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let message = match self.said.recv_timeout(wait) {
            Ok(message) => message?,
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("the server said nothing for {ANSWER_WITHIN:?}"));
            }
            Err(RecvTimeoutError::Disconnected) => return Err("the server ended".into()),
        };
        match (
            message.get("method").and_then(Value::as_str),
            message.get("id"),
        ) {
            (Some("textDocument/publishDiagnostics"), _) => {
                let params = &message["params"];
                let uri = params["uri"].as_str().unwrap_or_default().to_owned();
                let found = params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.diagnostics.insert(uri, found);
                Ok(None)
            }
            (Some(method), Some(id)) => {
                let result = if method == "workspace/configuration" {
                    let asked = message["params"]["items"].as_array().map_or(0, Vec::len);
                    let mut answers = vec![Value::Null; asked];
                    if let Some(first) = answers.first_mut() {
                        *first = settings();
                    }
                    Value::Array(answers)
                } else {
                    Value::Null
                };
                self.send(json!({ "jsonrpc": "2.0", "id": id, "result": result }))?;
                Ok(None)
            }
            (Some(_), None) => Ok(None),
            (None, _) => Ok(Some(message)),
        }
    }
}

impl Drop for LanguageServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `yaml` settings an editor with the YAML extension has by default.
fn settings() -> Value {
    json!({ "validate": true, "completion": true, "hover": true, "schemaStore": { "enable": false } })
}

/// A `file://` URI for an absolute path.
fn uri_of(file: &Path) -> Result<String, String> {
    url::Url::from_file_path(file)
        .map(String::from)
        .map_err(|()| format!("{} is not an absolute path", file.display()))
}

/// Reads one framed message: headers, a blank line, then `Content-Length` bytes of JSON.
fn read_message(output: &mut impl BufRead) -> Result<Value, String> {
    let mut length = None;
    loop {
        let mut line = String::new();
        let read = output
            .read_line(&mut line)
            .map_err(|e| format!("cannot read from the server: {e}"))?;
        if read == 0 {
            return Err("the server closed its output".into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let length = length.ok_or("a message without Content-Length")?;
    let mut body = vec![0; length];
    output
        .read_exact(&mut body)
        .map_err(|e| format!("cannot read a message's body: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("a message that is not JSON: {e}"))
}
