package dev.atlas.langchain4j;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An older LangChain4j (before 1.19.0, whose codec has no {@code chatMessageJsonMapperBuilder()})
 * is named when an adapter is created, not met as a {@code NoSuchMethodError} at the first read.
 */
class LangChain4jVersionTest {
    /** LangChain4j's codec as releases before 1.19.0 have it: no mapper builder. */
    static final class OldCodec {
    }

    @Test
    void anOlderLangChain4jIsNamedWithTheMinimumVersion() {
        assertThat(LangChain4jVersion.missing(OldCodec.class.getName(), getClass().getClassLoader()))
                .startsWith("atlas-langchain4j needs LangChain4j 1.19.0 or later (dev.langchain4j:langchain4j-core), found ")
                .contains(OldCodec.class.getName() + ".chatMessageJsonMapperBuilder() is missing");
        assertThat(LangChain4jVersion.missing("dev.langchain4j.data.message.NoSuchCodec", getClass().getClassLoader()))
                .startsWith("atlas-langchain4j needs LangChain4j 1.19.0 or later");
        // A class loader without LangChain4j's Maven properties: the version found is unknown.
        assertThat(LangChain4jVersion.missing(OldCodec.class.getName(), new java.net.URLClassLoader(new java.net.URL[0], null)))
                .contains("found an unknown version:");
    }

    @Test
    void thePinnedLangChain4jPasses() {
        assertThat(LangChain4jVersion.missing("dev.langchain4j.data.message.JacksonChatMessageJsonCodec", getClass().getClassLoader())).isNull();
        LangChain4jVersion.require();
        assertThat(LangChain4jVersion.MINIMUM).isEqualTo("1.19.0");
    }

    /**
     * docs/langchain4j.md: a failed stream's usage is not recorded because LangChain4j gives none on error.
     * Should a release add a response (and so usage) to the error context or the handler's onError, this
     * fails, so that the listener records it then.
     */
    @Test
    void langChain4jGivesNoResponseOnAStreamsError() throws Exception {
        for (java.lang.reflect.Method m : dev.langchain4j.model.chat.listener.ChatModelErrorContext.class.getMethods()) {
            assertThat(m.getReturnType().getName()).as(m.toString()).doesNotContain("Response").doesNotContain("TokenUsage");
        }
        for (java.lang.reflect.Method m : dev.langchain4j.model.chat.response.StreamingChatResponseHandler.class.getMethods()) {
            if (m.getName().equals("onError")) {
                assertThat(m.getParameterTypes()).as(m.toString()).containsExactly(Throwable.class);
            }
        }
    }
}
