package dev.atlas.examples;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The two tools the demo's agent may call, standing in for the application's real ones (an order
 * service, a map renderer). Like {@link ScriptedModel}, they return fixed data so the demo runs
 * offline.
 */
final class SupportTools {
    static final String LOOKUP_ORDER = "lookup_order";
    static final String RENDER_TRACKING_MAP = "render_tracking_map";

    private SupportTools() {}

    /** The order service's answer, as the JSON the model is sent back. */
    static String lookupOrder(String argumentsJson) {
        ScriptedModel.pause();
        return "{\"order\":1234,\"status\":\"shipped\",\"shipped_at\":\"this morning\",\"eta\":\"Thursday\",\"depot\":\"Lyon\"}";
    }

    /** A 160 × 90 PNG of the parcel's route: depot, a dashed road, the destination. Drawn in memory. */
    static byte[] renderTrackingMap() {
        // No window is ever opened; headless mode keeps AWT from looking for a display.
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(160, 90, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(new Color(0xEEF3F8));
            g.fillRect(0, 0, 160, 90);
            g.setColor(new Color(0x4A7BB7));
            g.setStroke(new BasicStroke(3, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1, new float[] {8, 6}, 0));
            g.drawPolyline(new int[] {20, 60, 95, 140}, new int[] {70, 40, 55, 20}, 4);
            g.setColor(new Color(0x2E7D32));
            g.fillOval(13, 63, 14, 14);   // the depot
            g.setColor(new Color(0xC62828));
            g.fillOval(133, 13, 14, 14);  // the customer
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen for an in-memory stream
        }
        return png.toByteArray();
    }
}
