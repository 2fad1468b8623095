package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * What happens before the data moves: the precheck's items each way, roles rewritten for the
 * destination's flavour, the destination database created like the source's, object selection.
 * Roles are cluster-wide, so each test creates its own and drops them again.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
@SuppressWarnings("unchecked")
class PrepareTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-prep").set("roles.scope", "all"),
            TestJob.named("it-rds").set("flavour", "rds").set("roles.scope", "all"),
            TestJob.named("it-polar").set("flavour", "polardb").set("roles.scope", "all"),
            TestJob.named("it-select").directory(2).restoreMode("parallel")
                    .set("select.include-schemas", "shop,Other*").set("select.exclude-tables", "shop.audit*"),
            TestJob.named("it-ignore").set("conflicts", "ignore"),
            TestJob.named("it-reader").set("source.user", "it_reader").set("source.password-file", "").set("source.password", "reader-pw"),
            TestJob.named("it-freeze").set("freeze-source-writes", "true"));

    @Test
    void rolesOwnerCollationSettingsAndAnExtensionArriveAsOnTheSource() throws Exception {
        String job = "it-prep";
        dropRoles("it_owner", "it_pg_super", "it_member");
        try {
            execSourceAdmin("CREATE ROLE it_owner NOLOGIN; CREATE ROLE it_member LOGIN PASSWORD 'member-pw' CONNECTION LIMIT 5;"
                    + "CREATE ROLE it_pg_super SUPERUSER NOLOGIN; GRANT it_owner TO it_member;"
                    + "ALTER ROLE it_member SET search_path TO shop, public");
            Stack.dropDestination(StackResource.destinationDb(job));
            createSourceDatabase(job, "OWNER it_owner TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'");
            Stack.execSource(StackResource.sourceDb(job), "CREATE EXTENSION hstore; SET ROLE it_owner; "
                    + Files.readString(Stack.sampleSql()) + "; RESET ROLE; CREATE TABLE shop.tags (id int PRIMARY KEY, attrs hstore);"
                    + "INSERT INTO shop.tags VALUES (1, 'a=>1'), (2, 'b=>2');");
            Stack.execSource("postgres", "ALTER DATABASE " + StackResource.sourceDb(job) + " SET search_path TO shop, public;"
                    + "ALTER DATABASE " + StackResource.sourceDb(job) + " SET work_mem TO '8MB'");

            String id = Api.startRun(job);
            JsonPath run = Api.awaitFinished(id);

            assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
            assertThat(run.getList("verification.tables.match", Boolean.class)).containsOnly(true);
            String databaseFacts = "SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || datctype || ' ' "
                    + "|| pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()";
            String settings = "SELECT string_agg(c, ' | ' ORDER BY c) FROM pg_db_role_setting s, unnest(s.setconfig) c "
                    + "WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole = 0";
            String owners = "SELECT string_agg(tablename || ':' || tableowner, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'shop'";
            try (Connection src = Stack.source(StackResource.sourceDb(job)); Connection dst = Stack.destination(StackResource.destinationDb(job))) {
                assertThat(Stack.strings(dst, databaseFacts)).isEqualTo(Stack.strings(src, databaseFacts))
                        .containsExactly("UTF8 en_US.UTF-8 en_US.UTF-8 it_owner");
                assertThat(Stack.strings(dst, settings)).isEqualTo(Stack.strings(src, settings))
                        .containsExactly("search_path=shop, public | work_mem=8MB");
                assertThat(Stack.strings(dst, owners)).isEqualTo(Stack.strings(src, owners));
                assertThat(Stack.strings(dst, "SELECT attrs -> 'a' FROM shop.tags WHERE id = 1")).containsExactly("1");
            }
            String roles = "SELECT rolname || ' super=' || rolsuper || ' login=' || rolcanlogin || ' limit=' || rolconnlimit "
                    + "|| ' pw=' || (rolpassword IS NOT NULL) FROM pg_authid WHERE rolname LIKE 'it\\_%' ORDER BY 1";
            try (Connection src = Stack.source("postgres"); Connection dst = Stack.destination("postgres")) {
                assertThat(Stack.strings(dst, roles)).isEqualTo(Stack.strings(src, roles)).containsExactly(
                        "it_member super=false login=true limit=5 pw=true",
                        "it_owner super=false login=false limit=-1 pw=false",
                        "it_pg_super super=true login=false limit=-1 pw=false");
                String member = "SELECT pg_has_role('it_member', 'it_owner', 'MEMBER')::text";
                assertThat(Stack.strings(dst, member)).containsExactly("true");
                String hash = "SELECT rolpassword FROM pg_authid WHERE rolname = 'it_member'";
                assertThat(Stack.strings(dst, hash)).isEqualTo(Stack.strings(src, hash));
            }
            // the statements run are kept with the run, private, passwords masked, outside the drop
            // directory; no password hash in the log; roles.sql leaves the intermediate host once
            // the run succeeded
            Path applied = StackResource.TEST_DATA.resolve("work").resolve(id).resolve("roles.applied.sql");
            assertThat(Files.readString(applied)).contains("CREATE ROLE it_member;", "GRANT it_owner TO it_member;")
                    .contains("-- created: ").doesNotContain("SCRAM-SHA-256$");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(applied))).isEqualTo("rw-------");
            assertThat(Stack.DROP.resolve(id).resolve("roles.applied.sql")).doesNotExist();
            assertThat(Stack.DROP.resolve(id).resolve("roles.sql")).doesNotExist();
            assertThat(Files.readString(StackResource.TEST_DATA.resolve("caravan.log"))).doesNotContain("SCRAM-SHA-256$");
        } finally {
            Stack.dropDestination(StackResource.destinationDb(job));
            Stack.execSource("postgres", "DROP DATABASE IF EXISTS " + StackResource.sourceDb(job) + " WITH (FORCE)");
            dropRoles("it_owner", "it_pg_super", "it_member");
        }
    }

    @Test
    void rdsTurnsSuperusersIntoRdsSuperuserMembersAndDropsWhatItDoesNotGrant() throws Exception {
        managedFlavour("it-rds", "rds_superuser");
    }

    @Test
    void polardbTurnsSuperusersIntoPolarSuperuserMembers() throws Exception {
        managedFlavour("it-polar", "polar_superuser");
    }

    private static void managedFlavour(String job, String superRole) throws Exception {
        String role = "it_" + job.substring(3) + "_admin";
        dropRoles(role);
        try {
            execSourceAdmin("CREATE ROLE " + role + " SUPERUSER REPLICATION BYPASSRLS LOGIN PASSWORD 'x'");
            execDestinationAdmin("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + superRole + "') THEN "
                    + "CREATE ROLE " + superRole + " NOLOGIN; END IF; END$$");
            Stack.freshJob(job);

            JsonPath run = Api.awaitFinished(Api.startRun(job));

            assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
            try (Connection dst = Stack.destination("postgres")) {
                assertThat(Stack.strings(dst, "SELECT rolsuper || ' ' || rolreplication || ' ' || rolbypassrls || ' ' || rolcanlogin "
                        + "FROM pg_roles WHERE rolname = '" + role + "'")).containsExactly("false false false true");
                assertThat(Stack.strings(dst, "SELECT pg_has_role('" + role + "', '" + superRole + "', 'MEMBER')::text"))
                        .containsExactly("true");
            }
            assertThat(Files.readString(StackResource.TEST_DATA.resolve("caravan.log")))
                    .contains(role + ": SUPERUSER became membership in " + superRole)
                    .contains(role + ": REPLICATION dropped (not granted on this destination)");
        } finally {
            dropRoles(role);
        }
    }

    @Test
    void aFlavourWhoseSuperuserRoleIsMissingFailsThePrecheck() throws Exception {
        execDestinationAdmin("DROP ROLE IF EXISTS polar_superuser");
        Map<String, Object> item = precheckItem("it-polar", "destination.flavour");
        assertThat(item.get("status")).isEqualTo("FAIL");
        assertThat((String) item.get("message")).contains("the destination has no role polar_superuser");
    }

    @Test
    void includeAndExcludePatternsDecideWhatIsDumpedCountedAndVerified() throws Exception {
        String job = "it-select";
        Stack.freshJob(job);
        Stack.execSource(StackResource.sourceDb(job), "CREATE SCHEMA \"Other Schema\"; CREATE TABLE \"Other Schema\".\"Mixed Table\" "
                + "(id int PRIMARY KEY, \"Ünïcode\" text); INSERT INTO \"Other Schema\".\"Mixed Table\" VALUES (1, 'ä'), (2, 'ö');"
                + "CREATE SCHEMA skipped; CREATE TABLE skipped.t (id int); INSERT INTO skipped.t VALUES (1);");

        JsonPath run = Api.awaitFinished(Api.startRun(job));

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        List<String> verified = run.getList("verification.tables", Map.class).stream().map(r -> r.get("schema") + "." + r.get("table")).toList();
        assertThat(verified).contains("shop.customers", "Other Schema.Mixed Table")
                .doesNotContain("shop.audit_log", "shop.audit_log_archive", "skipped.t");
        try (Connection dst = Stack.destination(StackResource.destinationDb(job))) {
            assertThat(Stack.strings(dst, "SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) FROM pg_tables "
                    + "WHERE schemaname IN ('skipped', 'Other Schema') OR tablename LIKE 'audit%'")).containsExactly("Other Schema.Mixed Table");
        }
    }

    @Test
    void aConflictingTableFailsThePrecheckUnlessConflictsAreIgnored() throws Exception {
        for (String job : List.of("it-single", "it-ignore")) {
            Stack.freshJob(job);
            Stack.execDestination("postgres", "CREATE DATABASE " + StackResource.destinationDb(job));
            // the same table as the source's, empty (as a DBA might have created it beforehand)
            Stack.execDestination(StackResource.destinationDb(job), "CREATE SCHEMA shop; CREATE TABLE shop.customers ("
                    + "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE, "
                    + "country char(2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), order_count integer NOT NULL DEFAULT 0)");
        }

        JsonPath failed = Api.awaitFinished(Api.startRun("it-single"));
        assertThat(failed.getString("status")).isEqualTo("FAILED");
        assertThat(failed.getString("error")).contains("destination.conflicts: 1 of the tables to migrate already exist in it_single_dst: shop.customers");
        assertThat(Stack.countOnly(Stack.destination("it_single_dst"), "shop.customers")).isZero();

        JsonPath ignored = Api.awaitFinished(Api.startRun("it-ignore"));
        assertThat(ignored.getString("status")).as(ignored.prettify()).isEqualTo("SUCCEEDED");
        assertThat(ignored.getString("precheck.find { it.item == 'destination.conflicts' }.status")).isEqualTo("WARN");
        assertThat(ignored.getString("stages.find { it.name == 'restore' }.detail")).contains("into 1 existing tables (conflicts=ignore)");
        assertThat(Stack.countOnly(Stack.destination("it_ignore_dst"), "shop.customers")).isEqualTo(2000);
    }

    @Test
    void anUnreadableTableAndUnreadablePasswordsFailThePrecheck() throws Exception {
        String job = "it-reader";
        dropRoles("it_reader");
        try {
            Stack.freshJob(job);
            execSourceAdmin("CREATE ROLE it_reader LOGIN PASSWORD 'reader-pw'");
            Stack.execSource(StackResource.sourceDb(job), "GRANT USAGE ON SCHEMA shop TO it_reader; "
                    + "GRANT SELECT ON ALL TABLES IN SCHEMA shop TO it_reader; GRANT SELECT ON ALL SEQUENCES IN SCHEMA shop TO it_reader;"
                    + "REVOKE SELECT ON shop.orders FROM it_reader");

            Map<String, Object> privileges = precheckItem(job, "source.privileges");
            assertThat(privileges.get("status")).isEqualTo("FAIL");
            assertThat((List<Object>) privileges.get("objects")).containsExactly("shop.orders");
            assertThat(precheckItem(job, "roles.passwords").get("status")).isEqualTo("FAIL");

            Stack.execSource(StackResource.sourceDb(job), "GRANT SELECT ON shop.orders TO it_reader");
            assertThat(precheckItem(job, "source.privileges").get("status")).isEqualTo("PASS");
        } finally {
            Stack.execSource("postgres", "DROP DATABASE IF EXISTS " + StackResource.sourceDb(job) + " WITH (FORCE)");
            dropRoles("it_reader");
        }
    }

    @Test
    void anExtensionTheDestinationDoesNotOfferFailsThePrecheck() throws Exception {
        String job = "it-single";
        Stack.freshJob(job);
        // an extension installed in the source whose files are gone by the time the destination is asked:
        // both test clusters share one installation, so this is how one can have what the other lacks
        Path dir;
        try (Connection c = Stack.source("postgres")) {
            dir = Path.of(Stack.strings(c, "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'").get(0), "extension");
        }
        Path control = dir.resolve("caravan_probe.control");
        Path script = dir.resolve("caravan_probe--1.0.sql");
        try {
            Files.writeString(control, "default_version = '1.0'\nrelocatable = true\n");
            Files.writeString(script, "CREATE FUNCTION caravan_probe() RETURNS int LANGUAGE sql AS 'SELECT 1';\n");
            Stack.execSource(StackResource.sourceDb(job), "CREATE EXTENSION caravan_probe");
        } finally {
            Files.deleteIfExists(control);
            Files.deleteIfExists(script);
        }
        Map<String, Object> item = precheckItem(job, "destination.extensions");
        assertThat(item.get("status")).isEqualTo("FAIL");
        assertThat((List<Object>) item.get("objects")).containsExactly("caravan_probe");
    }

    @Test
    void cFunctionsTablesWithoutKeyAndLargeObjectsAreWarnedAbout() throws Exception {
        String job = "it-single";
        Stack.freshJob(job);
        Stack.execSource(StackResource.sourceDb(job), "CREATE FUNCTION shop.c_handler() RETURNS language_handler "
                + "AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c; SELECT lo_from_bytea(0, 'large')");

        JsonPath report = Api.operator().post("/api/jobs/" + job + "/precheck").then().statusCode(200)
                .body("verdict", equalTo("WARN")).extract().jsonPath();

        assertThat(report.getList("items.find { it.item == 'source.c-functions' }.objects", String.class))
                .containsExactly("shop.c_handler()");
        assertThat(report.getList("items.find { it.item == 'source.tables-without-key' }.objects", String.class))
                .contains("shop.audit_log", "shop.audit_log_archive").doesNotContain("shop.customers");
        assertThat(report.getString("items.find { it.item == 'source.large-objects' }.message")).startsWith("1 large objects");
        assertThat(report.getString("items.find { it.item == 'space.staging' }.status")).isEqualTo("PASS");
        assertThat(report.getString("items.find { it.item == 'space.intermediate' }.status")).isEqualTo("PASS");
        assertThat(report.getString("items.find { it.item == 'retry.windows' }.message"))
                .isEqualTo("connection failures retried for 20 s, other failures for 4 s");
        // a precheck on its own starts nothing
        Api.viewer().get("/api/runs?job=" + job + "&status=RUNNING").then().body("size()", equalTo(0));
        Api.viewer().post("/api/jobs/" + job + "/precheck").then().statusCode(403);
        Api.operator().post("/api/jobs/nope/precheck").then().statusCode(404);
    }

    @Test
    void aLocaleTheDestinationLacksFailsThePrecheckNamingAlternatives() throws Exception {
        String job = "it-prep";
        Stack.dropDestination(StackResource.destinationDb(job));
        createSourceDatabase(job, "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'");
        try {
            // the destination's catalog forgets en_US for a moment
            execDestinationAdmin("DELETE FROM pg_collation WHERE collcollate ILIKE 'en_US%'");
            Map<String, Object> item = precheckItem(job, "destination.locale");
            assertThat(item.get("status")).isEqualTo("FAIL");
            assertThat((String) item.get("message")).startsWith("locale en_US.UTF-8 of the source does not exist on the destination");
        } finally {
            execDestinationAdmin("SELECT pg_import_system_collations('pg_catalog')");
            Stack.execSource("postgres", "DROP DATABASE IF EXISTS " + StackResource.sourceDb(job) + " WITH (FORCE)");
        }
        Stack.dropDestination(StackResource.destinationDb("it-single"));
        assertThat(precheckItem("it-single", "destination.locale").get("status")).isEqualTo("PASS");
    }

    @Test
    void theWriteFreezeHoldsDuringTheDumpAndIsLiftedAfterwards() throws Exception {
        String job = "it-freeze";
        Stack.freshJob(job, 1_000_000);

        String id = Api.startRun(job);
        Api.awaitStageRunning(id, "dump");
        // a session that starts while the source is being dumped cannot write
        String[] refusal = new String[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> {
            try {
                Stack.execSource(StackResource.sourceDb(job), "INSERT INTO shop.customers (name, country) VALUES ('late', 'DE')");
                return false;
            } catch (SQLException e) {
                refusal[0] = e.getMessage();
                return true;
            }
        });
        assertThat(refusal[0]).contains("cannot execute INSERT in a read-only transaction");
        assertThat(Api.stageStatus(Api.run(id), "dump")).isEqualTo("RUNNING");
        JsonPath run = Api.awaitFinished(id);

        assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
        Stack.execSource(StackResource.sourceDb(job), "INSERT INTO shop.customers (name, country) VALUES ('after', 'DE')");
        // and the destination was not created read-only because the source was, while it was read
        Stack.execDestination(StackResource.destinationDb(job), "INSERT INTO shop.customers (name, country) VALUES ('new', 'DE')");
        try (Connection c = Stack.source("postgres")) {
            assertThat(Stack.strings(c, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                    + "WHERE d.datname = '" + StackResource.sourceDb(job) + "'")).containsExactly("0");
        }
    }

    private static Map<String, Object> precheckItem(String job, String item) {
        List<Map<String, Object>> items = Api.operator().post("/api/jobs/" + job + "/precheck").then().statusCode(200)
                .extract().jsonPath().getList("items");
        return items.stream().filter(i -> item.equals(i.get("item"))).findFirst()
                .orElseThrow(() -> new AssertionError("no precheck item " + item + " in " + items));
    }

    private static void createSourceDatabase(String job, String options) throws SQLException {
        String db = StackResource.sourceDb(job);
        Stack.execSource("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        Stack.execSource("postgres", "CREATE DATABASE " + db + " " + options);
    }

    private static void execSourceAdmin(String sql) throws SQLException {
        Stack.execSource("postgres", sql);
    }

    private static void execDestinationAdmin(String sql) throws SQLException {
        Stack.execDestination("postgres", sql);
    }

    /** Drops test roles on both clusters (with what they own in the test databases, which are dropped first). */
    private static void dropRoles(String... roles) throws SQLException {
        for (String role : roles) {
            for (boolean source : new boolean[]{true, false}) {
                try (Connection c = source ? Stack.source("postgres") : Stack.destination("postgres"); Statement st = c.createStatement()) {
                    for (String db : Stack.strings(c, "SELECT datname FROM pg_database WHERE datname LIKE 'it\\_%' AND "
                            + "datdba = (SELECT oid FROM pg_roles WHERE rolname = '" + role + "')")) {
                        st.execute("DROP DATABASE " + db + " WITH (FORCE)");
                    }
                    st.execute("DROP ROLE IF EXISTS " + role);
                }
            }
        }
    }
}
