package org.rerender.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Writes and reads {@code db.xml.gz}, the ImageJ updater's site database: a gzipped XML document
 * {@code <pluginRecords>} with one {@code <plugin filename="...">} per file, holding {@code <platform>} elements and
 * a {@code <version checksum timestamp filesize>} with {@code <description>}, {@code <dependency filename timestamp>}
 * and {@code <author>} children.
 */
public final class UpdateSiteDb {
	private UpdateSiteDb() {}

	// The document type of the format, restricted to what this writer emits.
	private static final String DOCTYPE = String.join("\n",
		"<!DOCTYPE pluginRecords [",
		"<!ELEMENT pluginRecords (plugin*)>",
		"<!ELEMENT plugin (platform*, version?)>",
		"<!ELEMENT version (description?, dependency*, author*)>",
		"<!ELEMENT platform (#PCDATA)>",
		"<!ELEMENT description (#PCDATA)>",
		"<!ELEMENT author (#PCDATA)>",
		"<!ELEMENT dependency EMPTY>",
		"<!ATTLIST plugin filename CDATA #REQUIRED>",
		"<!ATTLIST version checksum CDATA #REQUIRED>",
		"<!ATTLIST version timestamp CDATA #REQUIRED>",
		"<!ATTLIST version filesize CDATA #REQUIRED>",
		"<!ATTLIST dependency filename CDATA #REQUIRED>",
		"<!ATTLIST dependency timestamp CDATA #IMPLIED>",
		"]>");

	public static void writeGz(List<SiteRecord> records, String author, OutputStream out) throws IOException {
		try (GZIPOutputStream gz = new GZIPOutputStream(out); Writer w = new OutputStreamWriter(gz, StandardCharsets.UTF_8)) {
			w.write(xml(records, author));
		}
	}

	public static String xml(List<SiteRecord> records, String author) {
		StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").append(DOCTYPE).append('\n');
		sb.append("<pluginRecords>\n");
		for (SiteRecord r : records) {
			sb.append("    <plugin filename=\"").append(esc(r.filename())).append("\">\n");
			for (String p : r.platforms()) sb.append("        <platform>").append(esc(p)).append("</platform>\n");
			sb.append("        <version checksum=\"").append(r.checksum()).append("\" timestamp=\"").append(r.timestamp())
				.append("\" filesize=\"").append(r.filesize()).append("\">\n");
			if (r.description() != null) sb.append("            <description>").append(esc(r.description())).append("</description>\n");
			for (SiteRecord.Dependency d : r.dependencies())
				sb.append("            <dependency filename=\"").append(esc(d.filename())).append('"')
					.append(d.timestamp() > 0 ? " timestamp=\"" + d.timestamp() + "\"" : "").append("/>\n");
			if (author != null) sb.append("            <author>").append(esc(author)).append("</author>\n");
			sb.append("        </version>\n    </plugin>\n");
		}
		return sb.append("</pluginRecords>\n").toString();
	}

	private static String esc(String s) {
		return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}

	/** Parses a {@code db.xml.gz} (current versions only). */
	public static List<SiteRecord> readGz(InputStream in) throws IOException {
		try (GZIPInputStream gz = new GZIPInputStream(in)) {
			DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
			f.setValidating(false);
			f.setExpandEntityReferences(false);
			Document doc = f.newDocumentBuilder().parse(gz);
			List<SiteRecord> out = new ArrayList<>();
			NodeList plugins = doc.getDocumentElement().getElementsByTagName("plugin");
			for (int i = 0; i < plugins.getLength(); i++) {
				Element p = (Element) plugins.item(i);
				List<String> platforms = new ArrayList<>();
				Element version = null;
				for (Node c = p.getFirstChild(); c != null; c = c.getNextSibling()) {
					if (!(c instanceof Element el)) continue;
					if (el.getTagName().equals("platform")) platforms.add(el.getTextContent().trim());
					if (el.getTagName().equals("version")) version = el;
				}
				if (version == null) continue;
				List<SiteRecord.Dependency> deps = new ArrayList<>();
				String description = null;
				for (Node c = version.getFirstChild(); c != null; c = c.getNextSibling()) {
					if (!(c instanceof Element el)) continue;
					if (el.getTagName().equals("dependency")) deps.add(new SiteRecord.Dependency(el.getAttribute("filename"),
						el.getAttribute("timestamp").isEmpty() ? 0 : Long.parseLong(el.getAttribute("timestamp"))));
					if (el.getTagName().equals("description")) description = el.getTextContent();
				}
				out.add(new SiteRecord(p.getAttribute("filename"), version.getAttribute("checksum"),
					Long.parseLong(version.getAttribute("timestamp")), Long.parseLong(version.getAttribute("filesize")), platforms,
					description, deps));
			}
			return out;
		}
		catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
			throw new IOException("db.xml.gz is not valid XML: " + e.getMessage(), e);
		}
	}
}
