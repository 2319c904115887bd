import type { ReactNode } from 'react'

export const metadata = { title: 'Tokentrail · Next chat', description: 'A traced AI SDK chat' }

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: 0, background: '#fafafa' }}>
        {children}
      </body>
    </html>
  )
}
