package dev.ferry.loadtest.soak;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes the soak's summary (and the scale simulation's timeline) as JSON: maps (in their iteration
 * order), lists, strings, numbers, booleans and null. Two-space indentation, one member per line,
 * so that tools and people can both read it.
 */
public final class Json {
  private Json() {}

  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out, "");
    return out.append('\n').toString();
  }

  private static void write(Object value, StringBuilder out, String indent) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Map<?, ?> map) {
      writeMap(map, out, indent);
    } else if (value instanceof List<?> list) {
      writeList(list, out, indent);
    } else if (value instanceof Number || value instanceof Boolean) {
      out.append(value);
    } else {
      string(value.toString(), out);
    }
  }

  private static void writeMap(Map<?, ?> map, StringBuilder out, String indent) {
    if (map.isEmpty()) {
      out.append("{}");
      return;
    }
    String inner = indent + "  ";
    out.append("{\n");
    for (Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<?, ?> entry = it.next();
      out.append(inner);
      string(entry.getKey().toString(), out);
      out.append(": ");
      write(entry.getValue(), out, inner);
      out.append(it.hasNext() ? ",\n" : "\n");
    }
    out.append(indent).append('}');
  }

  private static void writeList(List<?> list, StringBuilder out, String indent) {
    if (list.isEmpty()) {
      out.append("[]");
      return;
    }
    String inner = indent + "  ";
    out.append("[\n");
    for (int i = 0; i < list.size(); i++) {
      out.append(inner);
      write(list.get(i), out, inner);
      out.append(i < list.size() - 1 ? ",\n" : "\n");
    }
    out.append(indent).append(']');
  }

  private static void string(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
