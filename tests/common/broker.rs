//! A second, separately built Kafka-protocol broker (nisshi) started by the tests themselves on
//! a free port, so the same scenarios are checked on a broker that shares no code with
//! librdkafka's mock.

use std::net::{TcpListener, TcpStream};

use super::skipped;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Setting this to 1 turns a missing broker binary into a test failure (CI sets it).
pub const REQUIRE_VAR: &str = "KAFKA_SCENARIO_REQUIRE_NISSHI";
const INSTALL: &str = "cargo +nightly install nisshi --version 0.8.1 --locked --no-default-features --features libsql,dynostore";

/// A running nisshi broker, stopped when dropped.
pub struct Nisshi {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub address: String,
}

impl Nisshi {
    /// Starts a broker with in-memory storage, or returns `None` (saying so) when nisshi is not
    /// installed and `KAFKA_SCENARIO_REQUIRE_NISSHI` is not 1.
    pub fn start(test: &str) -> Option<Nisshi> {
        let Some(binary) = find_binary() else {
            assert!(
                std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
                "{REQUIRE_VAR}=1 but nisshi is not installed; install it with: {INSTALL}"
            );
            skipped(
                test,
                &format!("nisshi is not installed (install it with: {INSTALL})"),
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let url = format!("tcp://{address}");
        let child = Command::new(binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://nisshi/", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nisshi starts");
        let broker = Nisshi { child, address };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&broker.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "nisshi did not listen on {} within 30 s",
                broker.address
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(broker)
    }
}

impl Drop for Nisshi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>());
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin"));
    on_path
        .chain(cargo_bin)
        .map(|dir| dir.join("nisshi"))
        .find(|candidate| candidate.is_file())
}
