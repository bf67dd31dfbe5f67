package dev.atlas.examples.springai.web;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.opentelemetry.AtlasTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link WebApp} as a newcomer runs it, on SQLite and on PostgreSQL: a real {@link SpringApplication} with Tomcat on a
 * free port, JPA ({@code ddl-auto=update}) and Atlas on the application's one DataSource, Actuator's endpoints, and
 * requests over HTTP. Three starts per database, each some seconds: the tests share them.
 */
abstract class WebAppContract {
    private final HttpClient http = HttpClient.newHttpClient();

    /** The application's {@code spring.datasource.*} settings for this test's database (the same on every call). */
    protected abstract List<String> database();

    /** A connection to that database, as the application's own tools have. */
    protected abstract Connection connect() throws Exception;

    /** Atlas opened on that database, as another process would (the app closed). */
    protected abstract Atlas reopen();

    protected ConfigurableApplicationContext start(Map<String, Object> environmentVariables, Consumer<SpringApplication> customize,
            String... more) {
        List<String> args = new ArrayList<>(List.of("--server.port=0"));
        database().forEach(p -> args.add("--" + p));
        for (String m : more) {
            args.add("--" + m);
        }
        SpringApplication app = new SpringApplication(WebApp.class);
        if (!environmentVariables.isEmpty()) {
            StandardEnvironment environment = new StandardEnvironment();
            // What the process's environment variables would hold, in the source Boot binds relaxed.
            environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                    new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environmentVariables));
            app.setEnvironment(environment);
        }
        customize.accept(app);
        return app.run(args.toArray(String[]::new));
    }

    protected HttpResponse<String> send(ConfigurableApplicationContext app, String method, String path, String body) throws Exception {
        int port = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", "text/plain")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The span ids above {@code span}, nearest first, as far as {@code spans} hold them. */
    private static List<String> ancestors(SpanData span, List<SpanData> spans) {
        List<String> ids = new ArrayList<>();
        for (String parent = span.getParentSpanId(); !parent.equals(SpanId.getInvalid()) && !ids.contains(parent); ) {
            ids.add(parent);
            String current = parent;
            parent = spans.stream().filter(d -> d.getSpanId().equals(current)).map(SpanData::getParentSpanId).findFirst()
                    .orElse(SpanId.getInvalid());
        }
        return ids;
    }

    private void execute(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private List<String> tables() throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection c = connect(); ResultSet rs = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                names.add(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    /**
     * An application that ran for a while before adding Atlas (its table there, no Flyway history: it never used
     * Flyway, which Atlas brings to its class path) takes Atlas and serves a turn whose tool reads JPA; health and
     * metrics show it. Restarted (Hibernate's {@code ddl-auto=update} now meeting Atlas's tables, whose full-text
     * ones on SQLite have columns without a type), it goes on with the chat.
     */
    @Test
    void anExistingApplicationTakesAtlasServesATurnAndRestarts() throws Exception {
        execute("CREATE TABLE shop_orders (id BIGINT PRIMARY KEY, status VARCHAR(255))");
        execute("INSERT INTO shop_orders (id, status) VALUES (1234, 'shipped')");
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        // Boot's tracing with an exporter bean of the application's, and AtlasTelemetry made from Boot's OpenTelemetry
        // bean, as docs/opentelemetry.md says.
        Consumer<SpringApplication> traced = spring -> spring.addInitializers(context -> {
            ((org.springframework.context.support.GenericApplicationContext) context).registerBean("spanExporter", SpanExporter.class, () -> spans);
            ((org.springframework.context.support.GenericApplicationContext) context).registerBean("atlasTelemetry", AtlasTelemetry.class,
                    () -> AtlasTelemetry.create(context.getBean(OpenTelemetry.class)));
        });
        try (ConfigurableApplicationContext app = start(Map.of(), traced, "management.tracing.sampling.probability=1.0")) {
            assertThat(send(app, "PUT", "/orders/7", "packed").statusCode()).isEqualTo(200);
            HttpResponse<String> answer = send(app, "POST", "/chats/web-1", "Where is order 1234?");
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("Status: \"order 1234 shipped\" \"order 1235 unknown\"");

            HttpResponse<String> health = send(app, "GET", "/actuator/health", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"UP\"").contains("\"atlas\":{\"status\":\"UP\"");
            assertThat(send(app, "GET", "/actuator/metrics/atlas.executions", null).body())
                    .contains("{\"statistic\":\"COUNT\",\"value\":1.0}");
            assertThat(send(app, "GET", "/actuator/metrics/atlas.tool.calls?tag=tool:lookup", null).body())
                    .contains("{\"statistic\":\"COUNT\",\"value\":2.0}");
            String scrape = send(app, "GET", "/actuator/prometheus", null).body();
            // Prometheus's names of the atlas.* meters (no atlas.cost: the app set no price); the duration's sum and max
            // are the stored execution's, whatever they are.
            assertThat(scrape.lines().filter(l -> l.startsWith("atlas_")).map(l -> l.replaceAll("(_sum|_max)(\\{.*}) .*", "$1$2"))
                    .sorted().toList()).containsExactly(
                    "atlas_execution_duration_seconds_count{model=\"scripted-1\",provider=\"scripted\",status=\"completed\"} 1",
                    "atlas_execution_duration_seconds_max{model=\"scripted-1\",provider=\"scripted\",status=\"completed\"}",
                    "atlas_execution_duration_seconds_sum{model=\"scripted-1\",provider=\"scripted\",status=\"completed\"}",
                    "atlas_executions_total{model=\"scripted-1\",provider=\"scripted\",status=\"completed\"} 1.0",
                    "atlas_tokens_total{model=\"scripted-1\",provider=\"scripted\",type=\"input\"} 200.0",
                    "atlas_tokens_total{model=\"scripted-1\",provider=\"scripted\",type=\"output\"} 40.0",
                    "atlas_tool_calls_total{status=\"completed\",tool=\"lookup\"} 2.0");

            Tenant tenant = app.getBean(Tenant.class);
            Conversation c = tenant.conversations().requireByKey("web-1");
            assertThat(c.agent()).isEqualTo("orders");
            assertThat(tenant.conversations().messages(c.id(), 0, 100)).extracting(m -> m.role().toString())
                    .containsExactly("user", "assistant", "tool", "assistant");
            Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(10)).items().get(0);
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            assertThat(tree.steps().get(0).toolCalls()).extracting(t -> t.result())
                    .containsExactly("\"order 1234 shipped\"", "\"order 1235 unknown\"");

            // The execution's span is in the request's trace, under its server span; its tools' spans inside it.
            app.getBean(SdkTracerProvider.class).forceFlush().join(30, TimeUnit.SECONDS);
            List<SpanData> exported = spans.getFinishedSpanItems();
            SpanData server = exported.stream().filter(d -> d.getKind() == SpanKind.SERVER && d.getName().contains("/chats/")).findFirst()
                    .orElseThrow(() -> new AssertionError("no server span of the chat request among " + exported));
            SpanData call = exported.stream().filter(d -> d.getName().equals("chat scripted-1")).findFirst().orElseThrow();
            assertThat(call.getTraceId()).isEqualTo(server.getTraceId());
            assertThat(ancestors(call, exported)).contains(server.getSpanId());
            assertThat(call.getAttributes().get(AttributeKey.stringKey("atlas.execution.id"))).isEqualTo(e.id().toString());
            assertThat(exported.stream().filter(d -> d.getName().equals("execute_tool lookup")))
                    .hasSize(2).allSatisfy(d -> assertThat(d.getParentSpanId()).isEqualTo(call.getSpanId()));
            // A streamed turn (server-sent events; the rounds run on Reactor's threads) is in its request's trace too.
            HttpResponse<String> streamed = send(app, "POST", "/chats/web-1/stream", "And order 1234 again?");
            assertThat(streamed.statusCode()).isEqualTo(200);
            assertThat(streamed.body()).isEqualTo("data:Status: \"order 1234 shipped\" \"order 1235 unknown\"\n\n");
            app.getBean(SdkTracerProvider.class).forceFlush().join(30, TimeUnit.SECONDS);
            List<SpanData> all = spans.getFinishedSpanItems();
            SpanData streamServer = all.stream().filter(d -> d.getKind() == SpanKind.SERVER && d.getName().contains("/stream")).findFirst()
                    .orElseThrow(() -> new AssertionError("no server span of the streamed request among " + all));
            List<SpanData> calls = all.stream().filter(d -> d.getName().equals("chat scripted-1")).toList();
            assertThat(calls).hasSize(2);
            assertThat(ancestors(calls.get(1), all)).contains(streamServer.getSpanId());
            // No content: the question, the tool results and the answer are in no attribute of Atlas's spans.
            assertThat(all.stream().filter(d -> d.getAttributes().get(AttributeKey.stringKey("atlas.tenant.id")) != null)
                    .flatMap(d -> d.getAttributes().asMap().values().stream()).map(String::valueOf))
                    .noneMatch(v -> v.contains("order 1234") || v.contains("Status:") || v.contains("Where is"));
        }
        // Boot's Flyway, there only as Atlas's dependency, left the application's database alone.
        assertThat(tables()).contains("shop_orders", "atlas_conversations").doesNotContain("flyway_schema_history");
        try (ConfigurableApplicationContext app = start(Map.of(), spring -> { })) {
            assertThat(send(app, "POST", "/chats/web-1", "And order 7?").body()).isEqualTo("Status: \"order 7 packed\" \"order 8 unknown\"");
            Tenant tenant = app.getBean(Tenant.class);
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("web-1").id(), 0, 100)).hasSize(12);
        }
    }

    /**
     * {@code spring.main.lazy-initialization=true}, the tenant and agent from environment variables (relaxed binding), and
     * Boot's graceful shutdown: a request in flight when the context closes (its model call waits for the close) gets
     * its answer, and its turn is stored and its execution completed before Atlas closes.
     */
    @Test
    void lazyEnvironmentConfiguredAppKeepsARequestInFlightAtShutdownWhole() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        ConfigurableApplicationContext app = start(Map.of("ATLAS_TENANT", "acme", "ATLAS_SPRING_AI_AGENT", "desk"), spring -> {
            spring.addInitializers(context -> context.getBeanFactory().addBeanPostProcessor(GatedModel.wrapping(entered, closing)));
            spring.addListeners((ApplicationListener<ContextClosedEvent>) event -> closing.countDown());
        }, "spring.main.lazy-initialization=true");
        try {
            assertThat(send(app, "POST", "/chats/web-2", "Hello!").body()).isEqualTo("echo: Hello!");
            assertThat(send(app, "GET", "/actuator/health", null).body()).contains("\"atlas\":{\"status\":\"UP\"");
            Tenant acme = app.getBean(Tenant.class);
            assertThat(acme.id()).isEqualTo("acme");
            assertThat(acme.conversations().requireByKey("web-2").agent()).isEqualTo("desk");
        } catch (Throwable t) {
            app.close();
            throw t;
        }
        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return send(app, "POST", "/chats/web-3", "Hello slowly");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(entered.await(60, TimeUnit.SECONDS)).isTrue();
        app.close();
        HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("echo: Hello slowly");
        try (Atlas atlas = reopen()) {
            Tenant tenant = atlas.tenant("acme");
            Conversation c = tenant.conversations().requireByKey("web-3");
            assertThat(tenant.conversations().messages(c.id(), 0, 100)).extracting(m -> m.content())
                    .containsExactly("Hello slowly", "echo: Hello slowly");
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(10)).items())
                    .extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED);
        }
    }
}
