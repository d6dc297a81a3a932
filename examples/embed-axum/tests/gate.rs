//! The example run for real: accountd's use cases set up a group, accounts and datasets on a fresh database of
//! each backend; the built `dataset-gate` binary is started on that database and asked over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use domain::model::{Dataset, DatasetPermission, Workspace};
use domain::usecases::{Actor, DatasetInput, LoginCommand, NewAccount, Ports, Settings, SetupCommand, UseCases};
use domain::values::{DisplayName, EmailAddress, Password};
use security::{BcryptHasher, JwtCodec, RandomSecrets};
use testkit::{Kind, TestDb};

const SECRET_KEY: &str = "a-secret-key-shared-by-accountd-and-the-gate";
const PASSWORD: &str = "Correct-horse-9";

/// accountd's use cases as the server assembles them, minus mail and sign-in providers.
fn accountd(database: &db::Database) -> UseCases {
    let secret = SECRET_KEY.as_bytes();
    let secrets = Arc::new(RandomSecrets::new(secret));
    let settings = Settings::default();
    let services = Ports {
        hasher: Arc::new(BcryptHasher::new(4, 2)),
        tokens: Arc::new(JwtCodec::new(secret, settings.access_token_ttl, "SELF_HOSTED")),
        ..Ports::minimal(secrets.clone(), secrets)
    };
    UseCases::new(db::storage_ports(database, services), settings)
}

async fn login(use_cases: &UseCases, email: &str) -> String {
    let cmd = LoginCommand {
        email: EmailAddress::parse("email", email).unwrap(),
        password: Password::parse_any("password", PASSWORD).unwrap(),
        ip: None,
    };
    use_cases.login(cmd).await.unwrap().access_token
}

async fn dataset(use_cases: &UseCases, token: &str, name: &str, permission: DatasetPermission) -> Dataset {
    let owner = use_cases.authenticate(token).await.unwrap();
    let input = DatasetInput { name: Some(name.into()), permission: Some(permission), ..Default::default() };
    use_cases.create_dataset(&owner, input).await.unwrap()
}

/// The gate process, stopped when the test ends.
struct Gate {
    child: Child,
    address: String,
}

impl Gate {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dataset-gate"))
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", SECRET_KEY)
            .env("BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start dataset-gate");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().rsplit("http://").next().unwrap().to_owned();
        assert!(address.starts_with("127.0.0.1:"), "unexpected first line: {line:?}");
        Self { child, address }
    }

    /// Status and body of a GET with an optional bearer token.
    fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: gate\r\n{auth}Connection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn the_gate_decides_as_accountd_does(kind: Kind) {
    let Some(test_db) = TestDb::of(kind) else { return };
    let use_cases = accountd(&test_db.connect());

    // the super admin, its group "Default Group" (with the group's own workspace) and its workspace in it
    use_cases
        .setup(SetupCommand {
            email: EmailAddress::parse("email", "admin@example.com").unwrap(),
            name: DisplayName::parse("name", "Admin").unwrap(),
            password: Password::parse_new("password", PASSWORD).unwrap(),
            ip: None,
        })
        .await
        .unwrap();
    let admin_token = login(&use_cases, "admin@example.com").await;
    let admin = use_cases.authenticate(&admin_token).await.unwrap();
    let (own, _): (Workspace, _) = use_cases.current_workspace(&admin).await.unwrap();
    let group_id = own.group_id.unwrap();
    let private = dataset(&use_cases, &admin_token, "Private notes", DatasetPermission::OnlyMe).await;
    use_cases.switch_workspace(&admin, group_id).await.unwrap();
    let salaries = dataset(&use_cases, &admin_token, "Salaries", DatasetPermission::OnlyMe).await;
    let handbook = dataset(&use_cases, &admin_token, "Handbook", DatasetPermission::AllTeamMembers).await;

    // a plain member of the group: it belongs to the group's own workspace, not to the admin's workspace
    let member = use_cases
        .create_account(
            Actor::session(&admin, "example"),
            NewAccount {
                email: Some(EmailAddress::parse("email", "member@example.com").unwrap()),
                name: Some(DisplayName::parse("name", "Member").unwrap()),
                password: Some(Password::parse_new("password", PASSWORD).unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let member_token = login(&use_cases, "member@example.com").await;

    let gate = Gate::start(test_db.url());
    let (admin_t, member_t) = (Some(admin_token.as_str()), Some(member_token.as_str()));
    let dataset_path = |d: &Dataset| format!("/datasets/{}", d.id);

    let (status, body) = gate.get(&dataset_path(&handbook), member_t);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"name\":\"Handbook\""), "{body}");
    assert_eq!(gate.get(&dataset_path(&salaries), admin_t).0, 200);
    assert_eq!(gate.get(&dataset_path(&salaries), member_t).0, 403, "only the creator opens an only_me dataset");
    assert_eq!(gate.get(&dataset_path(&private), member_t).0, 404, "a workspace it is not in is not shown");
    assert_eq!(gate.get(&format!("/datasets/{}", uuid::Uuid::new_v4()), admin_t).0, 404);
    let (status, body) = gate.get(&dataset_path(&handbook), None);
    assert_eq!((status, body.contains("Bearer")), (401, true), "{body}");
    assert_eq!(gate.get(&dataset_path(&handbook), Some("not-a-token")).0, 401);

    assert_eq!(gate.get(&format!("/workspaces/{}/manage", own.id), admin_t).0, 204);
    assert_eq!(gate.get(&format!("/workspaces/{group_id}/manage"), admin_t).0, 204);
    assert_eq!(gate.get(&format!("/workspaces/{group_id}/manage"), member_t).0, 403);
    assert_eq!(gate.get(&format!("/workspaces/{}/manage", own.id), member_t).0, 403);

    // a password reset by the admin revokes the member's tokens, and the gate honours it at once
    let new_password = Password::parse_new("password", "Another-horse-7").unwrap();
    use_cases.admin_reset_password(Actor::session(&admin, "example"), member.id, &new_password).await.unwrap();
    assert_eq!(gate.get(&dataset_path(&handbook), member_t).0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_decides_as_accountd_does_on_sqlite() {
    the_gate_decides_as_accountd_does(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_decides_as_accountd_does_on_postgres() {
    the_gate_decides_as_accountd_does(Kind::Postgres).await;
}

#[test]
fn the_gate_refuses_a_database_accountd_has_not_migrated() {
    let path = std::env::temp_dir().join(format!("gate-unmigrated-{}.db", uuid::Uuid::new_v4().simple()));
    let output = Command::new(env!("CARGO_BIN_EXE_dataset-gate"))
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .env("SECRET_KEY", SECRET_KEY)
        .env("BIND", "127.0.0.1:0")
        .output()
        .expect("run dataset-gate");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("run `accountd migrate`"), "{stderr}");
}
