<?xml version="1.0" encoding="UTF-8"?>
<!-- Shown by browsers that open one of our RSS or Atom feeds: what a feed is, how to
     subscribe, and the newest articles. Feed readers ignore it. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
  <xsl:variable name="self"
      select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>
  <xsl:variable name="home"
      select="/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href"/>
  <xsl:variable name="format">
    <xsl:choose>
      <xsl:when test="/rss">RSS</xsl:when>
      <xsl:otherwise>Atom</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:template match="/">
    <html lang="fr">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title>Flux <xsl:value-of select="$format"/> · <xsl:value-of select="$title"/></title>
        <style>
          body { margin: 0; font: 1.05rem/1.55 Georgia, "Times New Roman", serif;
                 color: #1d1b19; background: #faf7f2; }
          main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
          .about { background: #fff4d6; border: 1px solid #e3c77a; border-radius: .4rem;
                   padding: 1rem 1.2rem; font-family: system-ui, sans-serif; font-size: .95rem; }
          .about code { display: block; margin: .5rem 0; padding: .4rem .6rem; background: #fff;
                        border: 1px solid #e3c77a; word-break: break-all; user-select: all; }
          h1 { font-size: 1.7rem; margin: 1.2rem 0 .3rem; }
          .subtitle { margin: 0 0 1.5rem; color: #5a534b; }
          article { border-top: 1px solid #e2dcd2; padding: .9rem 0; }
          article h2 { font-size: 1.2rem; margin: 0 0 .2rem; }
          a { color: #8a2d0e; }
          time { color: #6b645b; font-family: system-ui, sans-serif; font-size: .85rem; }
          article p { margin: .35rem 0 0; }
          nav { margin-top: 1.5rem; font-family: system-ui, sans-serif; }
        </style>
      </head>
      <body>
        <main>
          <section class="about" aria-label="À propos de ce flux">
            <strong>Ceci est un flux <xsl:value-of select="$format"/>.</strong>
            Pour suivre ces articles, copiez son adresse dans votre lecteur de flux
            (Feedly, Inoreader, NetNewsWire, Thunderbird…) :
            <code><xsl:value-of select="$self"/></code>
            Votre lecteur vous présentera chaque nouvel article dès sa publication.
            <a href="https://aboutfeeds.com/">Qu’est-ce qu’un flux ?</a>
          </section>
          <h1><xsl:value-of select="$title"/></h1>
          <p class="subtitle">
            <xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/>
            — <a href="{$home}">voir la rubrique sur le site</a>
          </p>
          <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
          <nav>
            <xsl:for-each select="/rss/channel/atom:link[@rel='next'] | /atom:feed/atom:link[@rel='next']">
              <a href="{@href}">Articles plus anciens →</a>
            </xsl:for-each>
          </nav>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <article>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <time><xsl:value-of select="pubDate"/></time>
      <p><xsl:value-of select="description"/></p>
    </article>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article>
      <h2><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <time><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
      <p><xsl:value-of select="atom:summary"/></p>
    </article>
  </xsl:template>
</xsl:stylesheet>
