import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tokenStore } from '../../api/apiService';
import { jsonResponse, renderWithProviders } from '../../test/render';
import LoginPage from './LoginPage';
import RegisterPage from './RegisterPage';

describe('auth forms', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    localStorage.clear();
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('login: shows field errors and sends nothing when the form is invalid', () => {
    renderWithProviders(<LoginPage />, { route: '/login' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'not-an-email' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(screen.getByText('Enter a valid email address.')).toBeTruthy();
    expect(screen.getByText('Enter your password.')).toBeTruthy();
    expect(screen.getByTestId('email-input').getAttribute('aria-invalid')).toBe('true');
    // The only request is the public config (is Google sign-in on?); no sign-in was sent.
    expect(fetchMock.mock.calls.filter(([url]) => !String(url).endsWith('/config.json'))).toEqual([]);
  });

  it("login: shows the server's wrong-password answer", async () => {
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'invalid_credentials', message: 'nope' } }));
    renderWithProviders(<LoginPage />, { route: '/login' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'wrong-password' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toMatch('Email or password is incorrect.'));
    expect(tokenStore.get()).toBeNull();
  });

  it('register: rejects a password shorter than 8 characters before sending', () => {
    renderWithProviders(<RegisterPage />, { route: '/register' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'short' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(screen.getByRole('alert').textContent).toBe('Password must be at least 8 characters.');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('register: stores the token on success', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(201, { token: 'jwt-1', user: { id: 'u1', email: 'neo@example.com', role: 'user', credits: 0 } }),
    );
    renderWithProviders(<RegisterPage />, { route: '/register' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'long-enough' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(() => expect(tokenStore.get()).toBe('jwt-1'));
    expect(JSON.parse(String(fetchMock.mock.calls[0][1]?.body))).toEqual({ email: 'neo@example.com', password: 'long-enough' });
  });
});
