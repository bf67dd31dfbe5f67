package dev.atlas.jdbi.kit;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns every SLF4J logger of the test JVM to TRACE and captures what they print, for as long as
 * it is open. The tests' binding is slf4j-simple, which has no API to change levels or output at
 * run time, so this sets its fields reflectively (test code only; its layout is that of the pinned
 * version) and puts everything back on close.
 * <p>
 * It also captures java.util.logging, which pgjdbc logs through (connection failures, URLs it
 * cannot parse), down to {@link #JUL_LEVEL} {@code FINE}: the root logger's level is lowered and a
 * handler added, both undone on close. Not below FINE: at FINER and FINEST pgjdbc traces its wire
 * protocol, every bound value included, a driver's debugging switch an application turns on
 * knowingly (as it would capture the traffic) and no library can mask.
 */
public final class LogCapture implements AutoCloseable {
    private static final int TRACE = 0;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Object config;
    private final Field outputChoice;
    private final Object previousOutput;
    private final Field defaultLevel;
    private final int previousDefault;
    private final Field currentLevel;
    private final Map<Object, Integer> previousLevels = new HashMap<>();
    private final ILoggerFactory factory;
    /** The lowest java.util.logging level captured (see the class comment). */
    public static final java.util.logging.Level JUL_LEVEL = java.util.logging.Level.FINE;
    private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
    private java.util.logging.Level previousJulLevel;
    private java.util.logging.Handler julHandler;

    private LogCapture() throws ReflectiveOperationException {
        factory = LoggerFactory.getILoggerFactory();
        Class<?> simpleLogger = Class.forName("org.slf4j.simple.SimpleLogger");
        if (!factory.getClass().getName().equals("org.slf4j.simple.SimpleLoggerFactory")) {
            throw new IllegalStateException("the tests' SLF4J binding is not slf4j-simple but " + factory.getClass());
        }
        // Forces the lazy configuration before it is changed.
        LoggerFactory.getLogger(LogCapture.class).isTraceEnabled();
        Field configField = simpleLogger.getDeclaredField("CONFIG_PARAMS");
        configField.setAccessible(true);
        config = configField.get(null);
        outputChoice = config.getClass().getDeclaredField("outputChoice");
        outputChoice.setAccessible(true);
        previousOutput = outputChoice.get(config);
        defaultLevel = config.getClass().getDeclaredField("defaultLogLevel");
        defaultLevel.setAccessible(true);
        previousDefault = defaultLevel.getInt(config);
        currentLevel = simpleLogger.getDeclaredField("currentLogLevel");
        currentLevel.setAccessible(true);

        Constructor<?> toStream = Class.forName("org.slf4j.simple.OutputChoice").getDeclaredConstructor(PrintStream.class);
        toStream.setAccessible(true);
        outputChoice.set(config, toStream.newInstance(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        defaultLevel.setInt(config, TRACE);
        for (Object logger : loggers()) {
            previousLevels.put(logger, currentLevel.getInt(logger));
            currentLevel.setInt(logger, TRACE);
        }
        captureJul(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    /** Adds a handler on java.util.logging's root logger writing into {@code out}, and lowers its level to {@link #JUL_LEVEL}. */
    private void captureJul(PrintStream out) {
        java.util.logging.Formatter format = new java.util.logging.SimpleFormatter();
        julHandler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                synchronized (LogCapture.this) {
                    out.println("[jul] " + r.getLevel() + " " + r.getLoggerName() + " - " + format.formatMessage(r));
                    if (r.getThrown() != null) {
                        r.getThrown().printStackTrace(out);
                    }
                }
            }

            @Override
            public void flush() {
                out.flush();
            }

            @Override
            public void close() {
                // the bytes are the capture's
            }
        };
        julHandler.setLevel(JUL_LEVEL);
        previousJulLevel = julRoot.getLevel();
        julRoot.addHandler(julHandler);
        if (previousJulLevel == null || previousJulLevel.intValue() > JUL_LEVEL.intValue()) {
            julRoot.setLevel(JUL_LEVEL);
        }
    }

    private java.util.Collection<?> loggers() throws ReflectiveOperationException {
        Field loggerMap = factory.getClass().getDeclaredField("loggerMap");
        loggerMap.setAccessible(true);
        return java.util.List.copyOf(((Map<?, ?>) loggerMap.get(factory)).values());
    }

    /** Starts capturing at TRACE. */
    public static LogCapture start() {
        try {
            return new LogCapture();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reconfigure slf4j-simple", e);
        }
    }

    /** Everything logged so far, stack traces included. */
    public synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Forgets what was logged so far. */
    public synchronized void clear() {
        bytes.reset();
    }

    @Override
    public void close() {
        julRoot.removeHandler(julHandler);
        julRoot.setLevel(previousJulLevel);
        try {
            outputChoice.set(config, previousOutput);
            defaultLevel.setInt(config, previousDefault);
            java.lang.reflect.Method configured = Class.forName("org.slf4j.simple.SimpleLogger").getDeclaredMethod("recursivelyComputeLevelString");
            configured.setAccessible(true);
            java.lang.reflect.Method toLevel = config.getClass().getDeclaredMethod("stringToLevel", String.class);
            toLevel.setAccessible(true);
            for (Object logger : loggers()) {
                Integer before = previousLevels.get(logger);
                if (before == null) {
                    // Created while capturing, at TRACE: back to what its configuration says.
                    String level = (String) configured.invoke(logger);
                    before = level == null ? previousDefault : (Integer) toLevel.invoke(null, level);
                }
                currentLevel.setInt(logger, before);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
