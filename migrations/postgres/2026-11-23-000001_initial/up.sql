-- accountd initial schema (Postgres). Ids are text with byte-wise collation; times are UTC `timestamp`;
-- JSON documents are text. The SQLite twin of this file differs only where the dialects must.

CREATE TABLE setups (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL,
    setup_at TIMESTAMP NOT NULL
);

CREATE TABLE accounts (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    username TEXT,
    email TEXT,
    email_key TEXT COLLATE "C",
    phone TEXT,
    country_code TEXT,
    avatar TEXT,
    password_hash TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    interface_language TEXT NOT NULL DEFAULT 'en-US',
    interface_theme TEXT NOT NULL DEFAULT 'light',
    timezone TEXT NOT NULL DEFAULT 'America/New_York',
    last_login_at TIMESTAMP,
    last_login_ip TEXT,
    last_active_at TIMESTAMP,
    initialized_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    description TEXT,
    partner_role SMALLINT NOT NULL DEFAULT 1,
    partner_tier SMALLINT NOT NULL DEFAULT 3,
    partner_type SMALLINT NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT 'local',
    external_id TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    custom_attributes TEXT NOT NULL DEFAULT '{}',
    idle_timeout_secs BIGINT,
    max_session_secs BIGINT,
    console_access BOOLEAN NOT NULL DEFAULT TRUE,
    open_api_access BOOLEAN NOT NULL DEFAULT TRUE,
    mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    password_change_on_first_login BOOLEAN NOT NULL DEFAULT FALSE,
    password_change_on_next_login BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at TIMESTAMP,
    password_changed_by TEXT COLLATE "C",
    expires_at TIMESTAMP,
    status_changed_by TEXT COLLATE "C",
    deleted_at TIMESTAMP,
    tokens_not_before TIMESTAMP,
    system_role TEXT,
    system_role_assigned_by TEXT COLLATE "C",
    mobile TEXT,
    wechat TEXT,
    address TEXT,
    gender TEXT
);
CREATE UNIQUE INDEX accounts_email_live ON accounts (email_key) WHERE deleted_at IS NULL AND email_key IS NOT NULL;
CREATE UNIQUE INDEX accounts_username_live ON accounts (username) WHERE deleted_at IS NULL AND username IS NOT NULL;
CREATE UNIQUE INDEX accounts_phone_live ON accounts (phone) WHERE deleted_at IS NULL AND phone IS NOT NULL;
CREATE UNIQUE INDEX accounts_external_id_live ON accounts (external_id) WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_one_super_admin ON accounts (system_role) WHERE system_role = 'super_admin' AND deleted_at IS NULL;
CREATE INDEX accounts_created ON accounts (created_at, id);

CREATE TABLE enterprise_groups (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    workspace_defaults TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX enterprise_groups_name ON enterprise_groups (name) WHERE status <> 'archived';

CREATE TABLE group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES enterprise_groups (id) ON DELETE CASCADE,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'normal',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_members_account ON group_members (account_id, created_at DESC);
CREATE INDEX group_members_newest ON group_members (group_id, created_at DESC, account_id);
CREATE UNIQUE INDEX group_members_one_super_admin ON group_members (group_id) WHERE role = 'super_admin';

CREATE TABLE tenants (
    id TEXT COLLATE "C" PRIMARY KEY,
    number BIGSERIAL NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL DEFAULT 'normal',
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    group_id TEXT COLLATE "C" REFERENCES enterprise_groups (id) ON DELETE SET NULL,
    code TEXT,
    plan TEXT NOT NULL DEFAULT 'basic',
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tenants_group ON tenants (group_id, created_at DESC);
CREATE UNIQUE INDEX tenants_group_name ON tenants (group_id, name) WHERE group_id IS NOT NULL;
CREATE UNIQUE INDEX tenants_code ON tenants (code) WHERE code IS NOT NULL;

CREATE TABLE tenant_members (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    position TEXT,
    permissions TEXT NOT NULL DEFAULT '[]',
    is_current BOOLEAN NOT NULL DEFAULT FALSE,
    invited_by TEXT COLLATE "C",
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);
CREATE INDEX tenant_members_account ON tenant_members (account_id, created_at);
CREATE UNIQUE INDEX tenant_members_one_owner ON tenant_members (tenant_id) WHERE role = 'owner';
CREATE UNIQUE INDEX tenant_members_one_current ON tenant_members (account_id) WHERE is_current;

CREATE TABLE datasets (
    id TEXT COLLATE "C" PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    permission TEXT NOT NULL DEFAULT 'only_me',
    provider TEXT NOT NULL DEFAULT 'vendor',
    data_source_type TEXT,
    indexing_technique TEXT,
    embedding_model TEXT,
    embedding_model_provider TEXT,
    retrieval_model TEXT,
    doc_form TEXT,
    icon TEXT,
    icon_background TEXT,
    icon_type TEXT,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_by TEXT COLLATE "C",
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX datasets_tenant ON datasets (tenant_id, created_at DESC);

CREATE TABLE dataset_members (
    dataset_id TEXT COLLATE "C" NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dataset_id, account_id)
);
CREATE INDEX dataset_members_account ON dataset_members (account_id);

CREATE TABLE login_sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    absolute_expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    ip TEXT
);
CREATE INDEX login_sessions_account ON login_sessions (account_id, last_used_at DESC);

CREATE TABLE refresh_tokens (
    token_digest TEXT COLLATE "C" PRIMARY KEY,
    session_id TEXT COLLATE "C" NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE verification_codes (
    id TEXT COLLATE "C" PRIMARY KEY,
    purpose TEXT NOT NULL,
    account_id TEXT COLLATE "C" REFERENCES accounts (id) ON DELETE CASCADE,
    email_key TEXT COLLATE "C" NOT NULL,
    code_digest TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP
);
CREATE INDEX verification_codes_email ON verification_codes (purpose, email_key, created_at DESC);
CREATE INDEX verification_codes_account ON verification_codes (account_id);

CREATE TABLE throttles (
    key TEXT COLLATE "C" PRIMARY KEY,
    count BIGINT NOT NULL,
    window_ends_at TIMESTAMP NOT NULL
);

CREATE TABLE access_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    access_key TEXT COLLATE "C" NOT NULL UNIQUE,
    secret_ciphertext TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX access_keys_account ON access_keys (account_id);

CREATE TABLE request_nonces (
    nonce_key TEXT COLLATE "C" PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

CREATE TABLE audit_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_account_id TEXT COLLATE "C",
    actor_access_key_id TEXT COLLATE "C",
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT COLLATE "C",
    request_id TEXT,
    changes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, at);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TABLE mail_outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE account_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE UNIQUE INDEX account_identities_account_provider ON account_identities (account_id, provider);
