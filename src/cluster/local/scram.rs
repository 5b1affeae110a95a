//! The SCRAM-SHA-512 user of a `kafka-local` cluster started with `--scram`, as the course's
//! Strimzi cluster has one (`edu-user`): KRaft stores its credentials when the storage is
//! formatted, brokers authenticate to each other with it, and every client of the run, the
//! harness's and the processes', logs in as it.

use std::fmt;
use std::io::Read;

/// The mechanism, the course's.
pub const MECHANISM: &str = "SCRAM-SHA-512";
/// The user name, the course's.
pub const COURSE_USER: &str = "edu-user";

/// A user name and its password; the password never reaches logs, not even through `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramUser {
    /// The user name.
    pub name: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for ScramUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl ScramUser {
    /// `name` with a fresh random password.
    pub fn generated(name: &str) -> std::io::Result<ScramUser> {
        let mut bytes = [0_u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(ScramUser {
            name: name.to_owned(),
            password: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    /// What every client needs to log in.
    pub fn client_properties(&self) -> Vec<(String, String)> {
        [
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", MECHANISM),
            ("sasl.username", &self.name),
            ("sasl.password", &self.password),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// `kafka-storage format --add-scram` argument that creates the credentials.
    pub fn format_argument(&self) -> String {
        format!(
            "{MECHANISM}=[name={},password={}]",
            self.name, self.password
        )
    }

    /// The JAAS line a broker logs in with to the other brokers.
    pub fn jaas(&self) -> String {
        format!(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{}\" password=\"{}\";",
            self.name, self.password
        )
    }
}
