package dev.atlas.examples.springai.web;

import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The app's model, made to wait in a call whose question says "slowly" until {@code open} is counted down. A proxy of
 * the app's bean, as an aspect of the application's would be: its class, which names the provider, stays the model's.
 */
final class GatedModel {
    private GatedModel() {
    }

    /** Wraps the app's {@link ChatModel} bean as it is made. */
    static BeanPostProcessor wrapping(CountDownLatch entered, CountDownLatch open) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (!(bean instanceof ChatModel)) {
                    return bean;
                }
                ProxyFactory proxy = new ProxyFactory(bean);
                proxy.addAdvice((MethodInterceptor) invocation -> {
                    if (invocation.getMethod().getName().equals("call") && invocation.getArguments().length == 1
                            && invocation.getArguments()[0] instanceof Prompt prompt && prompt.getContents().contains("slowly")) {
                        entered.countDown();
                        if (!open.await(60, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("the gate was never opened");
                        }
                    }
                    return invocation.proceed();
                });
                return proxy.getProxy(bean.getClass().getClassLoader());
            }
        };
    }
}
