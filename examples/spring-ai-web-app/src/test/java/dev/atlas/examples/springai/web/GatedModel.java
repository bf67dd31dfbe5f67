package dev.atlas.examples.springai.web;

import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.beans.factory.config.BeanPostProcessor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The app's model, made to wait in a call whose question says "slowly" until {@code open} is counted down. */
final class GatedModel implements ChatModel {
    private final ChatModel model;
    private final CountDownLatch entered;
    private final CountDownLatch open;

    private GatedModel(ChatModel model, CountDownLatch entered, CountDownLatch open) {
        this.model = model;
        this.entered = entered;
        this.open = open;
    }

    /** Wraps the app's {@link ChatModel} bean as it is made. */
    static BeanPostProcessor wrapping(CountDownLatch entered, CountDownLatch open) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof ChatModel m ? new GatedModel(m, entered, open) : bean;
            }
        };
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        if (prompt.getContents().contains("slowly")) {
            entered.countDown();
            try {
                if (!open.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the gate was never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return model.call(prompt);
    }

    @Override
    public ChatOptions getDefaultOptions() {
        return model.getDefaultOptions();
    }
}
