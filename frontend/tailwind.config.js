/** @type {import('tailwindcss').Config} */
export default {
  content: ['./index.html', './src/**/*.{ts,tsx}'],
  darkMode: 'class',
  theme: {
    extend: {
      colors: {
        ink: { 950: '#05060f', 900: '#0a0c1c', 800: '#11142b', 700: '#1a1e3d' },
        neon: { cyan: '#22d3ee', magenta: '#e879f9', violet: '#8b5cf6', lime: '#a3e635' },
      },
      fontFamily: {
        // Inter ships with the app (@fontsource-variable/inter, no CDN); Chinese falls back to the
        // platform's CJK faces (PingFang / YaHei / Noto CJK), which Inter's unicode-range leaves alone.
        sans: [
          '"Inter Variable"',
          'Inter',
          'ui-sans-serif',
          'system-ui',
          '-apple-system',
          '"Segoe UI"',
          '"PingFang SC"',
          '"Hiragino Sans GB"',
          '"Microsoft YaHei"',
          '"Noto Sans CJK SC"',
          '"Noto Sans SC"',
          '"Source Han Sans SC"',
          '"WenQuanYi Micro Hei"',
          'sans-serif',
        ],
        mono: ['JetBrains Mono', 'ui-monospace', 'SFMono-Regular', 'Menlo', 'monospace'],
      },
      boxShadow: {
        glow: '0 0 0 1px rgba(34,211,238,.35), 0 0 24px -4px rgba(34,211,238,.45)',
        'glow-magenta': '0 0 0 1px rgba(232,121,249,.35), 0 0 24px -4px rgba(232,121,249,.45)',
        glass: '0 8px 32px -8px rgba(0,0,0,.6), inset 0 1px 0 0 rgba(255,255,255,.06)',
      },
      keyframes: {
        shimmer: { '0%': { transform: 'translateX(-100%)' }, '100%': { transform: 'translateX(100%)' } },
        drift: { '0%': { transform: 'translate3d(0,0,0)' }, '100%': { transform: 'translate3d(0,40px,0)' } },
        'fade-up': { '0%': { opacity: '0', transform: 'translateY(6px)' }, '100%': { opacity: '1', transform: 'none' } },
        pulseglow: { '0%,100%': { opacity: '.55' }, '50%': { opacity: '1' } },
        sweep: { '0%': { transform: 'translateX(0)' }, '100%': { transform: 'translateX(300%)' } },
      },
      animation: {
        shimmer: 'shimmer 1.6s ease-in-out infinite',
        drift: 'drift 8s linear infinite',
        'fade-up': 'fade-up .25s ease-out both',
        pulseglow: 'pulseglow 2.4s ease-in-out infinite',
        sweep: 'sweep 1.8s ease-in-out infinite',
      },
    },
  },
  plugins: [],
};
